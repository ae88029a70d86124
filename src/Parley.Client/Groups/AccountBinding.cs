// Parley's leaf node extension (RFC 9420 §13.4, private-use code point 0xF0A1): binds an MLS leaf to an
// account. Every Parley leaf carries the account's user name and the device certificate, so any member
// can check, against the account identity key it pinned, that the leaf's signature key is that
// account's device.
//
//   struct {
//       opaque username<V>;      // lower case
//       opaque certificate<V>;   // Ed25519 signature by the account identity key over
//                                //   "Parley device v1" || 0x00 || username || cipher_suite || signature_key
//   } AccountBinding;
using System.Text;
using Parley.Client.Identity;
using Parley.Client.Network;
using Parley.Mls.Codec;
using Parley.Mls.Crypto;
using Parley.Mls.Messages;

namespace Parley.Client.Groups;

/// <summary>The account a leaf belongs to, with the account's certificate for the leaf's signature key.</summary>
public sealed record AccountBinding(string Username, byte[] Certificate)
{
    /// <summary>The extension type (private use range of RFC 9420 §17.3).</summary>
    public const ushort ExtensionType = 0xF0A1;

    /// <summary>The leaf extension carrying this binding.</summary>
    public Extension ToExtension()
    {
        var w = new TlsWriter(128);
        w.WriteOpaque(Encoding.UTF8.GetBytes(Username));
        w.WriteOpaque(Certificate);
        return new Extension(ExtensionType, w.ToArray());
    }

    /// <summary>The binding of <paramref name="leaf"/>, or null when it has none or it is malformed.</summary>
    public static AccountBinding? Of(LeafNode leaf)
    {
        ArgumentNullException.ThrowIfNull(leaf);
        foreach (var e in leaf.Extensions)
        {
            if (e.Type != ExtensionType)
            {
                continue;
            }
            try
            {
                var r = new TlsReader(e.Data);
                string username = Encoding.UTF8.GetString(r.ReadOpaque());
                byte[] certificate = r.ReadOpaque();
                r.EnsureEnd();
                return new AccountBinding(username, certificate);
            }
            catch (MlsDecodeException)
            {
                return null;
            }
        }
        return null;
    }

    /// <summary>True when the certificate is the account identity key's signature over this leaf's signature key (the
    /// device certificate of docs/server-protocol.md) for the leaf's suite <paramref name="cipherSuite"/> or for another
    /// suite that signs alike: a device certified in the suite it registered (1) uses the same key in the post-quantum
    /// suites, whose signatures are Ed25519 too (docs/protocol.md, "Cipher suites").</summary>
    public bool Verifies(ReadOnlySpan<byte> identityKey, ushort cipherSuite, ReadOnlySpan<byte> signatureKey)
    {
        if (AccountIdentityKey.Verify(identityKey, AccountStatements.DeviceCertificate(Username, cipherSuite, signatureKey), Certificate))
        {
            return true;
        }
        if (!CipherSuite.TryGet(cipherSuite, out CipherSuite? suite))
        {
            return false;
        }
        foreach (ushort other in CipherSuite.Supported)
        {
            if (other != cipherSuite && CipherSuite.Get(other).SignsLike(suite)
                && AccountIdentityKey.Verify(identityKey, AccountStatements.DeviceCertificate(Username, other, signatureKey), Certificate))
            {
                return true;
            }
        }
        return false;
    }

    public bool Equals(AccountBinding? other)
        => other is not null && Username == other.Username && Certificate.AsSpan().SequenceEqual(other.Certificate);

    public override int GetHashCode() => Username.GetHashCode(StringComparison.Ordinal);
}
