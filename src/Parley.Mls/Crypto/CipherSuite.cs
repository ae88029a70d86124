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
        => TryGet(id, out var suite) ? suite : throw new MlsProtocolException(MlsError.CipherSuiteUnsupported, $"Cipher suite {id} is not supported.");

    /// <summary>Looks up an implemented suite.</summary>
    public static bool TryGet(ushort id, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out CipherSuite? suite)
        => CipherSuites.TryGet(id, out suite);

    /// <summary>Code points of every suite Parley implements, in ascending order.</summary>
    public static IReadOnlyList<ushort> Supported => CipherSuites.Supported;

    /// <summary>True when the suite's KEM resists a quantum adversary (ML-KEM-768 or X-Wing): what it encrypts
    /// to members (path secrets, Welcome secrets) cannot be decrypted later from a recording.</summary>
    public bool IsPostQuantum => Hpke.IsPostQuantum;

    /// <summary>The name of a cipher suite code point (RFC 9420 §17.1, or the provisional post-quantum table in
    /// CipherSuites), or null if unknown.</summary>
    public static string? NameOf(ushort id) => CipherSuites.TryGet(id, out var suite) && suite is StandardCipherSuite standard ? standard.Name : id switch
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

    /// <summary>KDF.Expand to <c>output.Length</c> bytes, written to <paramref name="output"/> (which must not
    /// overlap <paramref name="prk"/>).</summary>
    public abstract void KdfExpand(ReadOnlySpan<byte> prk, ReadOnlySpan<byte> info, Span<byte> output);

    // ---- AEAD --------------------------------------------------------------------------

    public abstract int AeadKeyLength { get; }

    public abstract int AeadNonceLength { get; }

    /// <summary>AEAD.Nt: how many bytes of tag a ciphertext carries beyond its plaintext.</summary>
    public abstract int AeadTagLength { get; }

    public abstract byte[] AeadSeal(ReadOnlySpan<byte> key, ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> aad, ReadOnlySpan<byte> plaintext);

    /// <summary>Encrypts into <paramref name="destination"/>, which must hold plaintext.Length +
    /// <see cref="AeadTagLength"/> bytes (and not overlap the plaintext); returns the bytes written.</summary>
    public abstract int AeadSeal(ReadOnlySpan<byte> key, ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> aad, ReadOnlySpan<byte> plaintext,
        Span<byte> destination);

    /// <summary>Decrypts and authenticates; returns null when authentication fails.</summary>
    public abstract byte[]? AeadOpen(ReadOnlySpan<byte> key, ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> aad, ReadOnlySpan<byte> ciphertext);

    /// <summary>Decrypts and authenticates into <paramref name="destination"/>, which must hold
    /// ciphertext.Length - <see cref="AeadTagLength"/> bytes; returns false (with nothing of the plaintext
    /// left in <paramref name="destination"/>) when the ciphertext is too short or does not authenticate.</summary>
    public abstract bool AeadOpen(ReadOnlySpan<byte> key, ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> aad, ReadOnlySpan<byte> ciphertext,
        Span<byte> destination);

    // ---- Signatures --------------------------------------------------------------------

    /// <summary>Creates a fresh signature key pair (private key, public key).</summary>
    public abstract SignatureKeyPair GenerateSignatureKeyPair();

    /// <summary>Computes the public key that belongs to a serialized private key.</summary>
    public abstract byte[] SignaturePublicKey(ReadOnlySpan<byte> privateKey);

    public abstract byte[] Sign(ReadOnlySpan<byte> privateKey, ReadOnlySpan<byte> message);

    /// <summary>Verifies a signature; malformed keys or signatures verify as false.</summary>
    public abstract bool Verify(ReadOnlySpan<byte> publicKey, ReadOnlySpan<byte> message, ReadOnlySpan<byte> signature);

    /// <summary>Disposes the imported signature keys that the suites keep to make repeated signing (the last
    /// <see cref="ImportedKeyCache{T}.DefaultCapacity"/> private keys used) and ECDSA verification cheaper.
    /// Call it when signature private keys are deleted, e.g. when a device signs out.</summary>
    public static void ClearSignatureKeyCaches()
    {
        foreach (ushort id in Supported)
        {
            Get(id).ClearKeyCache();
        }
    }

    // Signing and verification of prefix || message without joining them where the scheme allows.
    private protected abstract byte[] Sign(ReadOnlySpan<byte> privateKey, ReadOnlySpan<byte> prefix, ReadOnlySpan<byte> message);

    private protected abstract bool Verify(ReadOnlySpan<byte> publicKey, ReadOnlySpan<byte> prefix, ReadOnlySpan<byte> message,
        ReadOnlySpan<byte> signature);

    private protected abstract void ClearKeyCache();

    /// <summary>True when this suite and <paramref name="other"/> sign with the same scheme (suites 1, 3, 79, 80, 83 and 84
    /// all sign with Ed25519), so one signature key serves a device's leaves in both.</summary>
    public bool SignsLike(CipherSuite other)
    {
        ArgumentNullException.ThrowIfNull(other);
        return ReferenceEquals(SignatureAlgorithm, other.SignatureAlgorithm);
    }

    // The suite's signature scheme: one shared instance per scheme, so suites compare by reference.
    private protected abstract object SignatureAlgorithm { get; }

    // ---- HPKE (RFC 9180 base mode) -----------------------------------------------------

    /// <summary>The HPKE instance (KEM, KDF, AEAD) of this suite.</summary>
    public abstract Hpke Hpke { get; }

    // ---- RFC 9420 derivations ----------------------------------------------------------

    /// <summary>ExpandWithLabel(Secret, Label, Context, Length) = KDF.Expand(Secret, KDFLabel, Length).</summary>
    public byte[] ExpandWithLabel(ReadOnlySpan<byte> secret, string label, ReadOnlySpan<byte> context, int length)
    {
        ArgumentNullException.ThrowIfNull(label);
        // KDFLabel = uint16 length || opaque label<V> || opaque context<V>
        int headerLength = 2 + LabelHeaderLength(label, context.Length);
        Span<byte> header = headerLength <= 256 ? stackalloc byte[headerLength] : new byte[headerLength];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt16BigEndian(header, checked((ushort)length));
        WriteLabelHeader(label, context.Length, header[2..]);
        using var info = new JoinedBytes(header, context, stackalloc byte[JoinedBytes.StackSize]);
        return KdfExpand(secret, info.Span, length);
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
    /// <remarks>SignContent is signed where it lies: the label header on the stack, the content in place
    /// (ECDSA hashes the two in turn; EdDSA, which reads its message twice, gets them joined in a stack or
    /// pooled buffer).</remarks>
    public byte[] SignWithLabel(ReadOnlySpan<byte> privateKey, string label, ReadOnlySpan<byte> content)
    {
        ArgumentNullException.ThrowIfNull(label);
        Span<byte> header = stackalloc byte[MaxStackLabelHeader];
        return Sign(privateKey, LabelHeader(label, content.Length, header), content);
    }

    /// <summary>How many free bytes to leave in front of content signed or verified in place: room for the label
    /// header of any label up to 50 characters.</summary>
    internal const int LabelHeaderRoom = 64;

    /// <summary>SignWithLabel over the content in <paramref name="buffer"/> from <paramref name="contentStart"/> on,
    /// with at least the label header's length free in front of it: the header is written there, so SignContent is
    /// signed in one piece without being copied (large application messages).</summary>
    internal byte[] SignWithLabelInPlace(ReadOnlySpan<byte> privateKey, string label, Span<byte> buffer, int contentStart)
        => Sign(privateKey, SignContentInPlace(label, buffer, contentStart));

    /// <summary>VerifyWithLabel over content that lies in <paramref name="buffer"/> as for <see cref="SignWithLabelInPlace"/>.</summary>
    internal bool VerifyWithLabelInPlace(ReadOnlySpan<byte> publicKey, string label, Span<byte> buffer, int contentStart,
        ReadOnlySpan<byte> signature)
        => Verify(publicKey, SignContentInPlace(label, buffer, contentStart), signature);

    private static ReadOnlySpan<byte> SignContentInPlace(string label, Span<byte> buffer, int contentStart)
    {
        ArgumentNullException.ThrowIfNull(label);
        int contentLength = buffer.Length - contentStart;
        int headerLength = LabelHeaderLength(label, contentLength);
        if (headerLength > contentStart)
        {
            throw new ArgumentException($"Signing in place needs {headerLength} free bytes before the content.", nameof(contentStart));
        }
        var signContent = buffer[(contentStart - headerLength)..];
        WriteLabelHeader(label, contentLength, signContent);
        return signContent;
    }

    /// <summary>VerifyWithLabel(VerificationKey, Label, Content, Signature) (RFC 9420 §5.1.2).</summary>
    public bool VerifyWithLabel(ReadOnlySpan<byte> publicKey, string label, ReadOnlySpan<byte> content, ReadOnlySpan<byte> signature)
    {
        ArgumentNullException.ThrowIfNull(label);
        Span<byte> header = stackalloc byte[MaxStackLabelHeader];
        return Verify(publicKey, LabelHeader(label, content.Length, header), content, signature);
    }

    /// <summary>EncryptWithLabel(PublicKey, Label, Context, Plaintext) (RFC 9420 §5.1.3).</summary>
    public HpkeCiphertext EncryptWithLabel(ReadOnlySpan<byte> publicKey, string label, ReadOnlySpan<byte> context, ReadOnlySpan<byte> plaintext)
    {
        ArgumentNullException.ThrowIfNull(label);
        Span<byte> header = stackalloc byte[MaxStackLabelHeader];
        using var info = new JoinedBytes(LabelHeader(label, context.Length, header), context, stackalloc byte[JoinedBytes.StackSize]);
        var (kemOutput, ciphertext) = Hpke.Seal(publicKey, info.Span, ReadOnlySpan<byte>.Empty, plaintext);
        return new HpkeCiphertext(kemOutput, ciphertext);
    }

    /// <summary>DecryptWithLabel(PrivateKey, Label, Context, KEMOutput, Ciphertext); throws
    /// <see cref="MlsProtocolException"/> when the KEM output has the wrong length or decryption fails.</summary>
    public byte[] DecryptWithLabel(ReadOnlySpan<byte> privateKey, string label, ReadOnlySpan<byte> context, ReadOnlySpan<byte> kemOutput, ReadOnlySpan<byte> ciphertext)
    {
        ArgumentNullException.ThrowIfNull(label);
        CheckKemOutput(kemOutput.Length);
        Span<byte> header = stackalloc byte[MaxStackLabelHeader];
        using var info = new JoinedBytes(LabelHeader(label, context.Length, header), context, stackalloc byte[JoinedBytes.StackSize]);
        return Hpke.Open(privateKey, kemOutput, info.Span, ReadOnlySpan<byte>.Empty, ciphertext)
            ?? throw new MlsProtocolException(MlsError.HpkeDecryptionFailed, $"HPKE decryption failed for '{label}'.");
    }

    /// <summary>Throws <see cref="MlsError.HpkeKemOutputLength"/> unless a received kem_output is Nenc bytes long.</summary>
    public void CheckKemOutput(int length)
    {
        if (length != Hpke.EncapsulatedKeyLength)
        {
            throw new MlsProtocolException(MlsError.HpkeKemOutputLength,
                $"An HPKE kem_output has {length} bytes; the suite's KEM outputs {Hpke.EncapsulatedKeyLength}.");
        }
    }

    /// <summary>Constant-time equality for MACs, tags and secrets.</summary>
    public static bool FixedTimeEquals(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b)
        => CryptographicOperations.FixedTimeEquals(a, b);

    public override string ToString() => $"MLS cipher suite {Id}";

    // Labels are short constants; a longer one gets its header on the heap.
    private const int MaxStackLabelHeader = 128;

    // opaque label<V> = "MLS 1.0 " + Label, then the length of the opaque content<V> that follows: the
    // part of KDFLabel, SignContent and EncryptContext before the content (RFC 9420 §5.1.2, §5.1.3, §8).
    private static int LabelHeaderLength(string label, int contentLength)
    {
        int labelLength = LabelPrefix.Length + Encoding.ASCII.GetByteCount(label);
        return VarintLength(labelLength) + labelLength + VarintLength(contentLength);
    }

    private static ReadOnlySpan<byte> LabelHeader(string label, int contentLength, Span<byte> stackBuffer)
    {
        int length = LabelHeaderLength(label, contentLength);
        Span<byte> header = length <= stackBuffer.Length ? stackBuffer[..length] : new byte[length];
        WriteLabelHeader(label, contentLength, header);
        return header;
    }

    private static void WriteLabelHeader(string label, int contentLength, Span<byte> destination)
    {
        int o = WriteVarint((uint)(LabelPrefix.Length + Encoding.ASCII.GetByteCount(label)), destination);
        LabelPrefix.CopyTo(destination[o..]);
        o += LabelPrefix.Length;
        // Like Encoding.ASCII.GetBytes, a non-ASCII character becomes '?'.
        o += Encoding.ASCII.GetBytes(label, destination[o..]);
        WriteVarint((uint)contentLength, destination[o..]);
    }

    // RFC 9420 §2.1.2 variable-length integers, as TlsWriter.WriteVarint writes them.
    private static int VarintLength(int value) => value switch
    {
        < 0x40 => 1,
        < 0x4000 => 2,
        <= (int)TlsWriter.MaxVarint => 4,
        _ => throw new ArgumentOutOfRangeException(nameof(value), "A vector length must be below 2^30."),
    };

    private static int WriteVarint(uint value, Span<byte> destination)
    {
        switch (VarintLength(checked((int)value)))
        {
            case 1:
                destination[0] = (byte)value;
                return 1;
            case 2:
                System.Buffers.Binary.BinaryPrimitives.WriteUInt16BigEndian(destination, (ushort)(0x4000 | value));
                return 2;
            default:
                System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(destination, 0x8000_0000 | value);
                return 4;
        }
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
