// Parley server protocol v1, "Account identity signatures" (docs/server-protocol.md): the statements an
// account identity key (Ed25519) signs, each UTF-8(label) || 0x00 || TLS-encoded fields.
using System.Text;
using Parley.Content;
using Parley.Mls.Codec;

namespace Parley.Client.Network;

/// <summary>The byte strings an account identity key signs. The labels separate the purposes, so a
/// signature made for one statement can never be replayed as another.</summary>
public static class AccountStatements
{
    /// <summary>Registration proof: the challenge, the username, the identity key and the first device's key.</summary>
    public static byte[] Register(ReadOnlySpan<byte> challenge, string username, ReadOnlySpan<byte> identityKey,
        ushort cipherSuite, ReadOnlySpan<byte> deviceSignatureKey)
    {
        var w = Start("Parley register v1");
        w.WriteOpaque(challenge);
        w.WriteOpaque(Encoding.UTF8.GetBytes(username));
        w.WriteOpaque(identityKey);
        w.WriteUInt16(cipherSuite);
        w.WriteOpaque(deviceSignatureKey);
        return w.ToArray();
    }

    /// <summary>Device certificate: the account vouches that this MLS signature key is one of its devices.</summary>
    public static byte[] DeviceCertificate(string username, ushort cipherSuite, ReadOnlySpan<byte> deviceSignatureKey)
        // The one builder the server and public channel readers use too (Parley.Content), so they cannot drift apart.
        => DeviceCertificateStatement.Create(username, cipherSuite, deviceSignatureKey);

    /// <summary>Add-device proof: the challenge, the username and the new device's key.</summary>
    public static byte[] AddDevice(ReadOnlySpan<byte> challenge, string username, ushort cipherSuite, ReadOnlySpan<byte> deviceSignatureKey)
    {
        var w = Start("Parley add device v1");
        w.WriteOpaque(challenge);
        w.WriteOpaque(Encoding.UTF8.GetBytes(username));
        w.WriteUInt16(cipherSuite);
        w.WriteOpaque(deviceSignatureKey);
        return w.ToArray();
    }

    /// <summary>Revoke-device proof: the challenge, the username and the device id.</summary>
    public static byte[] RevokeDevice(ReadOnlySpan<byte> challenge, string username, string deviceId)
    {
        var w = Start("Parley revoke device v1");
        w.WriteOpaque(challenge);
        w.WriteOpaque(Encoding.UTF8.GetBytes(username));
        w.WriteOpaque(Encoding.ASCII.GetBytes(deviceId));
        return w.ToArray();
    }

    private static TlsWriter Start(string label)
    {
        var w = new TlsWriter(256);
        w.WriteBytes(Encoding.UTF8.GetBytes(label));
        w.WriteUInt8(0);
        return w;
    }
}
