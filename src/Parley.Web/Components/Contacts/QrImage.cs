// QR codes as inline PNG data (img-src allows data:, so the strict Content-Security-Policy holds).
using QRCoder;

namespace Parley.Web.Components.Contacts;

/// <summary>Renders text as a QR code image for an <c>img</c> element.</summary>
internal static class QrImage
{
    /// <summary>A <c>data:image/png;base64,…</c> URI of <paramref name="text"/> as a QR code (error correction M).</summary>
    public static string PngDataUri(string text)
    {
        using var generator = new QRCodeGenerator();
        using var data = generator.CreateQrCode(text, QRCodeGenerator.ECCLevel.M);
        byte[] png = new PngByteQRCode(data).GetGraphic(6);
        return "data:image/png;base64," + Convert.ToBase64String(png);
    }
}
