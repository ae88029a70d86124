// RFC 9420 §5.1 (cipher suites), §5.1.2 (signing), §5.1.3 (public-key encryption),
// §5.2 (hash-based identifiers), §8 (ExpandWithLabel, DeriveSecret, DeriveTreeSecret).
using System.Security.Cryptography;
using System.Text;
using Parley.Mls.Codec;

namespace Parley.Mls.Crypto;

/// <summary>An MLS cipher suite: the hash, KDF, AEAD, HPKE and signature algorithms a group
/// uses, and the labelled derivations RFC 9420 builds on them. Keys are byte strings in the
/// encodings of the interop test vectors (raw public keys, serialized private keys).</summary>
public abstract class CipherSuite
{
    private static readonly byte[] LabelPrefix = "MLS 1.0 "u8.ToArray();

    private protected CipherSuite(ushort id) => Id = id;

    /// <summary>The suite's IANA code point (1 = MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519, ...).</summary>
    public ushort Id { get; }

    /// <summary>Returns the suite for <paramref name="id"/>, or throws if Parley does not implement it.</summary>
    public static CipherSuite Get(ushort id)
        => TryGet(id, out var suite) ? suite : throw new MlsProtocolException($"Cipher suite {id} is not supported.");

    /// <summary>Looks up an implemented suite.</summary>
    public static bool TryGet(ushort id, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out CipherSuite? suite)
        => CipherSuites.TryGet(id, out suite);

    /// <summary>Code points of every suite Parley implements, in ascending order.</summary>
    public static IReadOnlyList<ushort> Supported => CipherSuites.Supported;

    /// <summary>The IANA name of a cipher suite code point (RFC 9420 §17.1), or null if unknown.</summary>
    public static string? NameOf(ushort id) => id switch
    {
        1 => "MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519",
        2 => "MLS_128_DHKEMP256_AES128GCM_SHA256_P256",
        3 => "MLS_128_DHKEMX25519_CHACHA20POLY1305_SHA256_Ed25519",
        4 => "MLS_256_DHKEMX448_AES256GCM_SHA512_Ed448",
        5 => "MLS_256_DHKEMP521_AES256GCM_SHA512_P521",
        6 => "MLS_256_DHKEMX448_CHACHA20POLY1305_SHA512_Ed448",
        7 => "MLS_256_DHKEMP384_AES256GCM_SHA384_P384",
        _ => null,
    };

    // ---- Hash, MAC and KDF -------------------------------------------------------------

    /// <summary>Output length of the hash and of KDF.Extract (Nh).</summary>
    public abstract int HashLength { get; }

    public abstract byte[] Hash(ReadOnlySpan<byte> data);

    /// <summary>HMAC with the suite's hash.</summary>
    public abstract byte[] Mac(ReadOnlySpan<byte> key, ReadOnlySpan<byte> data);

    public abstract byte[] KdfExtract(ReadOnlySpan<byte> salt, ReadOnlySpan<byte> ikm);

    public abstract byte[] KdfExpand(ReadOnlySpan<byte> prk, ReadOnlySpan<byte> info, int length);

    // ---- AEAD --------------------------------------------------------------------------

    public abstract int AeadKeyLength { get; }

    public abstract int AeadNonceLength { get; }

    public abstract byte[] AeadSeal(ReadOnlySpan<byte> key, ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> aad, ReadOnlySpan<byte> plaintext);

    /// <summary>Decrypts and authenticates; returns null when authentication fails.</summary>
    public abstract byte[]? AeadOpen(ReadOnlySpan<byte> key, ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> aad, ReadOnlySpan<byte> ciphertext);

    // ---- Signatures --------------------------------------------------------------------

    /// <summary>Creates a fresh signature key pair (private key, public key).</summary>
    public abstract SignatureKeyPair GenerateSignatureKeyPair();

    /// <summary>Computes the public key that belongs to a serialized private key.</summary>
    public abstract byte[] SignaturePublicKey(ReadOnlySpan<byte> privateKey);

    public abstract byte[] Sign(ReadOnlySpan<byte> privateKey, ReadOnlySpan<byte> message);

    /// <summary>Verifies a signature; malformed keys or signatures verify as false.</summary>
    public abstract bool Verify(ReadOnlySpan<byte> publicKey, ReadOnlySpan<byte> message, ReadOnlySpan<byte> signature);

    // ---- HPKE (RFC 9180 base mode) -----------------------------------------------------

    /// <summary>The HPKE instance (KEM, KDF, AEAD) of this suite.</summary>
    public abstract Hpke Hpke { get; }

    // ---- RFC 9420 derivations ----------------------------------------------------------

    /// <summary>ExpandWithLabel(Secret, Label, Context, Length) = KDF.Expand(Secret, KDFLabel, Length).</summary>
    public byte[] ExpandWithLabel(ReadOnlySpan<byte> secret, string label, ReadOnlySpan<byte> context, int length)
    {
        var w = new TlsWriter(64 + context.Length);
        w.WriteUInt16(checked((ushort)length));
        WriteLabel(w, label);
        w.WriteOpaque(context);
        return KdfExpand(secret, w.WrittenSpan, length);
    }

    /// <summary>DeriveSecret(Secret, Label) = ExpandWithLabel(Secret, Label, "", Nh).</summary>
    public byte[] DeriveSecret(ReadOnlySpan<byte> secret, string label)
        => ExpandWithLabel(secret, label, ReadOnlySpan<byte>.Empty, HashLength);

    /// <summary>DeriveTreeSecret(Secret, Label, Generation, Length) (RFC 9420 §9).</summary>
    public byte[] DeriveTreeSecret(ReadOnlySpan<byte> secret, string label, uint generation, int length)
    {
        Span<byte> context = stackalloc byte[4];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(context, generation);
        return ExpandWithLabel(secret, label, context, length);
    }

    /// <summary>RefHash(label, value) = Hash(RefHashInput) (RFC 9420 §5.2).</summary>
    public byte[] RefHash(string label, ReadOnlySpan<byte> value)
    {
        var w = new TlsWriter(32 + value.Length);
        w.WriteOpaque(Encoding.ASCII.GetBytes(label));
        w.WriteOpaque(value);
        return Hash(w.WrittenSpan);
    }

    /// <summary>KeyPackageRef = RefHash("MLS 1.0 KeyPackage Reference", KeyPackage).</summary>
    public byte[] MakeKeyPackageRef(ReadOnlySpan<byte> keyPackage) => RefHash("MLS 1.0 KeyPackage Reference", keyPackage);

    /// <summary>ProposalRef = RefHash("MLS 1.0 Proposal Reference", AuthenticatedContent).</summary>
    public byte[] MakeProposalRef(ReadOnlySpan<byte> authenticatedContent) => RefHash("MLS 1.0 Proposal Reference", authenticatedContent);

    /// <summary>SignWithLabel(SignatureKey, Label, Content) (RFC 9420 §5.1.2).</summary>
    public byte[] SignWithLabel(ReadOnlySpan<byte> privateKey, string label, ReadOnlySpan<byte> content)
        => Sign(privateKey, SignContent(label, content));

    /// <summary>VerifyWithLabel(VerificationKey, Label, Content, Signature) (RFC 9420 §5.1.2).</summary>
    public bool VerifyWithLabel(ReadOnlySpan<byte> publicKey, string label, ReadOnlySpan<byte> content, ReadOnlySpan<byte> signature)
        => Verify(publicKey, SignContent(label, content), signature);

    /// <summary>EncryptWithLabel(PublicKey, Label, Context, Plaintext) (RFC 9420 §5.1.3).</summary>
    public HpkeCiphertext EncryptWithLabel(ReadOnlySpan<byte> publicKey, string label, ReadOnlySpan<byte> context, ReadOnlySpan<byte> plaintext)
    {
        byte[] info = EncryptContext(label, context);
        var (kemOutput, ciphertext) = Hpke.Seal(publicKey, info, ReadOnlySpan<byte>.Empty, plaintext);
        return new HpkeCiphertext(kemOutput, ciphertext);
    }

    /// <summary>DecryptWithLabel(PrivateKey, Label, Context, KEMOutput, Ciphertext); throws
    /// <see cref="MlsProtocolException"/> when decryption fails.</summary>
    public byte[] DecryptWithLabel(ReadOnlySpan<byte> privateKey, string label, ReadOnlySpan<byte> context, ReadOnlySpan<byte> kemOutput, ReadOnlySpan<byte> ciphertext)
    {
        byte[] info = EncryptContext(label, context);
        return Hpke.Open(privateKey, kemOutput, info, ReadOnlySpan<byte>.Empty, ciphertext)
            ?? throw new MlsProtocolException($"HPKE decryption failed for '{label}'.");
    }

    /// <summary>Constant-time equality for MACs, tags and secrets.</summary>
    public static bool FixedTimeEquals(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b)
        => CryptographicOperations.FixedTimeEquals(a, b);

    public override string ToString() => $"MLS cipher suite {Id}";

    private static void WriteLabel(TlsWriter w, string label)
    {
        int n = Encoding.ASCII.GetByteCount(label);
        w.WriteVarint((uint)(LabelPrefix.Length + n));
        w.WriteBytes(LabelPrefix);
        w.WriteBytes(Encoding.ASCII.GetBytes(label));
    }

    private static byte[] SignContent(string label, ReadOnlySpan<byte> content)
    {
        var w = new TlsWriter(32 + content.Length);
        WriteLabel(w, label);
        w.WriteOpaque(content);
        return w.ToArray();
    }

    private static byte[] EncryptContext(string label, ReadOnlySpan<byte> context)
    {
        var w = new TlsWriter(32 + context.Length);
        WriteLabel(w, label);
        w.WriteOpaque(context);
        return w.ToArray();
    }
}

/// <summary>A signature key pair in the suite's serialization; the private key never prints.</summary>
public sealed record SignatureKeyPair(byte[] PrivateKey, byte[] PublicKey)
{
    public override string ToString() => $"SignatureKeyPair(public {Convert.ToHexString(PublicKey)})";
}

/// <summary>An HPKE key pair in the suite's serialization; the private key never prints.</summary>
public sealed record HpkeKeyPair(byte[] PrivateKey, byte[] PublicKey)
{
    public override string ToString() => $"HpkeKeyPair(public {Convert.ToHexString(PublicKey)})";
}

/// <summary>HPKECiphertext (RFC 9420 §5.1.3): kem_output and ciphertext.</summary>
public sealed record HpkeCiphertext(byte[] KemOutput, byte[] Ciphertext) : IMlsEncodable
{
    public void Encode(TlsWriter writer)
    {
        writer.WriteOpaque(KemOutput);
        writer.WriteOpaque(Ciphertext);
    }

    public static HpkeCiphertext Decode(TlsReader reader) => new(reader.ReadOpaque(), reader.ReadOpaque());
}
