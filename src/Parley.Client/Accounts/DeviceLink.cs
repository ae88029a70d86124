// Linking a new device to an account (docs/device-linking.md). Two codes travel between the devices
// through the person holding them; the server only sees the new device register with a valid proof.
//
//   link code     = "PL1." || base64url(struct { opaque link_key<V>; })
//   approval code = "PA1." || base64url(struct { opaque enc<V>; opaque ciphertext<V>; })
//                   ciphertext = HPKE-SealBase(link_key, info = "Parley device link v1",
//                                              aad = link code bytes,
//                                              plaintext = struct { opaque username<V>; opaque identity_private_key<V>;
//                                                                   opaque server<V>; [history] })
//   history       = struct { opaque blob_id<V>; opaque bundle_key<V>; uint64 bundle_size; }, present when the approving
//                   device sent its history (an approval without it ends after server)
//
// HPKE is MLS cipher suite 1's (DHKEM(X25519), HKDF-SHA256, AES-128-GCM). The aad binds the approval to
// the one link code it answers; the link key is used once.
using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using Parley.Mls;
using Parley.Mls.Codec;
using Parley.Mls.Crypto;

namespace Parley.Client.Accounts;

/// <summary>The public part of a pending link, shown by the new device as its link code.</summary>
/// <param name="LinkKey">The new device's one-time HPKE public key.</param>
public sealed record LinkCode(byte[] LinkKey)
{
    private const string Prefix = "PL1.";

    /// <summary>The code's bytes (the approval's associated data).</summary>
    public byte[] ToBytes()
    {
        var w = new TlsWriter(40);
        w.WriteOpaque(LinkKey);
        return w.ToArray();
    }

    /// <summary>The text to show: <c>PL1.</c> and base64url.</summary>
    public override string ToString() => Prefix + Base64Url.EncodeToString(ToBytes());

    /// <summary>Parses a link code; throws <see cref="FormatException"/> when it is not one.</summary>
    public static LinkCode Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        text = text.Trim();
        if (!text.StartsWith(Prefix, StringComparison.Ordinal))
        {
            throw new FormatException("That is not a Parley link code (it starts with PL1.).");
        }
        try
        {
            var r = new TlsReader(Base64Url.DecodeFromChars(text.AsSpan(Prefix.Length)));
            var code = new LinkCode(r.ReadOpaque());
            r.EnsureEnd();
            if (code.LinkKey.Length != 32)
            {
                throw new FormatException("The link code's key has the wrong length.");
            }
            return code;
        }
        catch (Exception e) when (e is MlsDecodeException or FormatException)
        {
            throw new FormatException("The link code is damaged; copy it again.", e);
        }
    }
}

/// <summary>Where the approving device left its history for the new device, and the key that opens it.</summary>
/// <param name="BlobId">The server blob that holds the history bundle.</param>
/// <param name="Key">The bundle's 32-byte key (a <see cref="Backup.BackupKeyKind.LinkKey"/>).</param>
/// <param name="Size">The blob's exact size in bytes.</param>
public sealed record LinkHistory(string BlobId, byte[] Key, long Size)
{
    /// <summary>The longest blob id accepted (the server's are 32 hex digits).</summary>
    internal const int MaxBlobIdLength = 64;

    internal static LinkHistory Read(TlsReader r)
    {
        string blobId = Encoding.UTF8.GetString(r.ReadOpaque());
        byte[] key = r.ReadOpaque();
        ulong size = r.ReadUInt64();
        if (blobId.Length is 0 or > MaxBlobIdLength || !blobId.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_')
            || key.Length != Backup.BackupKey.Size || size is 0 or > long.MaxValue)
        {
            CryptographicOperations.ZeroMemory(key);
            throw new MlsDecodeException("The approval's history reference is malformed.");
        }
        return new LinkHistory(blobId, key, (long)size);
    }

    internal void Write(TlsWriter w)
    {
        w.WriteOpaque(Encoding.UTF8.GetBytes(BlobId));
        w.WriteOpaque(Key);
        w.WriteUInt64((ulong)Size);
    }

    /// <summary>Wipes the key.</summary>
    public void Wipe() => CryptographicOperations.ZeroMemory(Key);

    /// <summary>Never the key itself.</summary>
    public override string ToString() => $"LinkHistory({BlobId}, {Size} bytes)";
}

/// <summary>What the approving device sends the new device: the account and its identity key, and where its history
/// waits when it sent one.</summary>
public sealed record LinkApproval(string Username, byte[] IdentityPrivateKey, Uri Server, LinkHistory? History = null)
{
    private const string Prefix = "PA1.";
    private static readonly byte[] Info = "Parley device link v1"u8.ToArray();
    private static readonly CipherSuite Suite = CipherSuite.Get(1);

    /// <summary>Seals the approval to <paramref name="code"/>'s link key as an approval code.</summary>
    public string Seal(LinkCode code)
    {
        ArgumentNullException.ThrowIfNull(code);
        var w = new TlsWriter(160);
        w.WriteOpaque(Encoding.UTF8.GetBytes(Username));
        w.WriteOpaque(IdentityPrivateKey);
        w.WriteOpaque(Encoding.UTF8.GetBytes(Server.ToString()));
        History?.Write(w);
        byte[] plaintext = w.ToArray();
        try
        {
            var (enc, ciphertext) = Suite.Hpke.Seal(code.LinkKey, Info, code.ToBytes(), plaintext);
            var o = new TlsWriter(enc.Length + ciphertext.Length + 8);
            o.WriteOpaque(enc);
            o.WriteOpaque(ciphertext);
            return Prefix + Base64Url.EncodeToString(o.WrittenSpan);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(plaintext);
        }
    }

    /// <summary>Opens an approval code with the pending link's private key; throws <see cref="FormatException"/>
    /// when the code is damaged or answers another link code.</summary>
    public static LinkApproval Open(string approvalCode, LinkCode code, ReadOnlySpan<byte> linkPrivateKey)
    {
        ArgumentNullException.ThrowIfNull(approvalCode);
        ArgumentNullException.ThrowIfNull(code);
        approvalCode = approvalCode.Trim();
        if (!approvalCode.StartsWith(Prefix, StringComparison.Ordinal))
        {
            throw new FormatException("That is not a Parley approval code (it starts with PA1.).");
        }
        byte[]? plaintext = null;
        try
        {
            var r = new TlsReader(Base64Url.DecodeFromChars(approvalCode.AsSpan(Prefix.Length)));
            byte[] enc = r.ReadOpaque();
            byte[] ciphertext = r.ReadOpaque();
            r.EnsureEnd();
            plaintext = Suite.Hpke.Open(linkPrivateKey, enc, Info, code.ToBytes(), ciphertext)
                        ?? throw new FormatException("The approval code does not answer this device's link code.");
            var p = new TlsReader(plaintext);
            string username = Encoding.UTF8.GetString(p.ReadOpaque());
            byte[] identity = p.ReadOpaque();
            var server = new Uri(Encoding.UTF8.GetString(p.ReadOpaque()));
            var history = p.AtEnd ? null : LinkHistory.Read(p);
            p.EnsureEnd();
            return new LinkApproval(username, identity, server, history);
        }
        catch (Exception e) when (e is MlsDecodeException or MlsProtocolException or UriFormatException)
        {
            throw new FormatException("The approval code is damaged; copy it again.", e);
        }
        finally
        {
            if (plaintext is not null)
            {
                CryptographicOperations.ZeroMemory(plaintext);
            }
        }
    }

    public override string ToString() => $"LinkApproval({Username}, {Server})";
}
