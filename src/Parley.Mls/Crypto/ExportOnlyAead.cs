// RFC 9180 §5.3 and §7.3: the export-only AEAD identifier 0xFFFF, for contexts used only with Export.
namespace Parley.Mls.Crypto;

/// <summary>The "export-only" AEAD: an HPKE context with it can export secrets but never encrypt.</summary>
internal sealed class ExportOnlyAead : Aead
{
    public static readonly ExportOnlyAead Instance = new();

    private ExportOnlyAead() : base(0xFFFF, 0, 0) { }

    public override void Seal(ReadOnlySpan<byte> key, ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> aad, ReadOnlySpan<byte> plaintext, Span<byte> ciphertext)
        => throw new InvalidOperationException("An export-only HPKE context cannot encrypt.");

    public override bool Open(ReadOnlySpan<byte> key, ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> aad, ReadOnlySpan<byte> ciphertext, Span<byte> plaintext)
        => throw new InvalidOperationException("An export-only HPKE context cannot decrypt.");
}
