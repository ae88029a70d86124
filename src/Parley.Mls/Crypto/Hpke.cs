// RFC 9180 §5 (hybrid public key encryption), §5.1 (key schedule), §5.1.1 (base mode), §6.1 (single-shot APIs).
// Parley uses the base mode only (no PSK, no sender authentication), as RFC 9420 §5.1.3 does.
using System.Security.Cryptography;

namespace Parley.Mls.Crypto;

/// <summary>One HPKE configuration (KEM, KDF, AEAD) in base mode. Keys are byte strings in the
/// KEM's serialization; decryption failures return null instead of throwing.</summary>
public sealed class Hpke
{
    private const byte ModeBase = 0x00;

    private readonly byte[] _suiteId;
    private readonly byte[] _pskIdHash;

    internal Hpke(Kem kem, Kdf kdf, Aead aead)
    {
        Kem = kem;
        Kdf = kdf;
        Aead = aead;
        _suiteId =
        [
            (byte)'H', (byte)'P', (byte)'K', (byte)'E',
            (byte)(kem.Id >> 8), (byte)kem.Id,
            (byte)(kdf.Id >> 8), (byte)kdf.Id,
            (byte)(aead.Id >> 8), (byte)aead.Id,
        ];
        // psk_id is empty in base mode, so its hash is a constant of the suite.
        _pskIdHash = new byte[kdf.HashLength];
        kdf.LabeledExtract(_suiteId, ReadOnlySpan<byte>.Empty, "psk_id_hash"u8, ReadOnlySpan<byte>.Empty, _pskIdHash);
    }

    /// <summary>The HPKE kem_id.</summary>
    public ushort KemId => Kem.Id;

    /// <summary>The HPKE kdf_id.</summary>
    public ushort KdfId => Kdf.Id;

    /// <summary>The HPKE aead_id.</summary>
    public ushort AeadId => Aead.Id;

    /// <summary>True when the KEM resists a quantum adversary.</summary>
    public bool IsPostQuantum => Kem.IsPostQuantum;

    /// <summary>Whether a received public key has the KEM's length (and, for ML-KEM and X-Wing, a reduced
    /// ML-KEM encapsulation key).</summary>
    public bool IsWellFormedPublicKey(ReadOnlySpan<byte> publicKey) => Kem.IsWellFormedPublicKey(publicKey);

    /// <summary>Npk: length of a serialized public key.</summary>
    public int PublicKeyLength => Kem.PublicKeyLength;

    /// <summary>Nsk: length of a serialized private key.</summary>
    public int PrivateKeyLength => Kem.PrivateKeyLength;

    /// <summary>Nenc: length of the encapsulated key (the KEM output).</summary>
    public int EncapsulatedKeyLength => Kem.EncapsulatedKeyLength;

    internal Kem Kem { get; }

    internal Kdf Kdf { get; }

    internal Aead Aead { get; }

    /// <summary>The HPKE configuration for the given identifiers, or null when Parley lacks one of them.</summary>
    internal static Hpke? TryCreate(ushort kemId, ushort kdfId, ushort aeadId)
    {
        Kem? kem = Kem.TryGet(kemId);
        Kdf? kdf = kdfId switch
        {
            0x0001 => Kdf.HkdfSha256,
            0x0002 => Kdf.HkdfSha384,
            0x0003 => Kdf.HkdfSha512,
            _ => null,
        };
        Aead? aead = aeadId switch
        {
            0x0001 => AesGcmAead.Aes128Gcm,
            0x0002 => AesGcmAead.Aes256Gcm,
            0x0003 when ChaCha20Poly1305Aead.IsSupported => ChaCha20Poly1305Aead.Instance,
            0xFFFF => ExportOnlyAead.Instance,
            _ => null,
        };
        return kem is null || kdf is null || aead is null ? null : new Hpke(kem, kdf, aead);
    }

    /// <summary>"HPKE" || kem_id || kdf_id || aead_id.</summary>
    internal ReadOnlySpan<byte> SuiteId => _suiteId;

    /// <summary>DeriveKeyPair(ikm) (RFC 9180 §7.1.3): a key pair determined by the input keying material.</summary>
    public HpkeKeyPair DeriveKeyPair(ReadOnlySpan<byte> ikm) => Kem.DeriveKeyPair(ikm);

    /// <summary>A fresh random key pair.</summary>
    public HpkeKeyPair GenerateKeyPair() => Kem.GenerateKeyPair();

    /// <summary>The serialized public key belonging to a serialized private key.</summary>
    public byte[] PublicKeyFromPrivate(ReadOnlySpan<byte> privateKey) => Kem.PublicKeyFromPrivate(privateKey);

    /// <summary>SetupBaseS(pkR, info): a fresh encapsulated key and the sender's context.
    /// Throws <see cref="MlsProtocolException"/> when <paramref name="publicKeyR"/> is not a valid key.</summary>
    public (byte[] Enc, HpkeContext Context) SetupBaseS(ReadOnlySpan<byte> publicKeyR, ReadOnlySpan<byte> info)
    {
        Span<byte> ikmE = stackalloc byte[Kem.EncapsulationRandomnessLength];
        RandomNumberGenerator.Fill(ikmE);
        try
        {
            return SetupBaseS(publicKeyR, info, ikmE);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(ikmE);
        }
    }

    /// <summary>SetupBaseS with the encapsulation randomness <paramref name="ikmE"/> (test vectors only).</summary>
    internal (byte[] Enc, HpkeContext Context) SetupBaseS(ReadOnlySpan<byte> publicKeyR, ReadOnlySpan<byte> info, ReadOnlySpan<byte> ikmE)
    {
        Span<byte> sharedSecret = stackalloc byte[Kem.SharedSecretLength];
        try
        {
            byte[] enc = Kem.Encap(publicKeyR, ikmE, sharedSecret) ?? throw InvalidPublicKey();
            return (enc, KeySchedule(sharedSecret, info, isSender: true));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(sharedSecret);
        }
    }

    /// <summary>SetupBaseR(enc, skR, info): the recipient's context. Throws
    /// <see cref="MlsProtocolException"/> when <paramref name="enc"/> or the private key is invalid.</summary>
    public HpkeContext SetupBaseR(ReadOnlySpan<byte> enc, ReadOnlySpan<byte> privateKeyR, ReadOnlySpan<byte> info)
        => TrySetupBaseR(enc, privateKeyR, info) ?? throw new MlsProtocolException(MlsError.HpkeDecryptionFailed, "HPKE decapsulation failed: invalid encapsulated key.");

    /// <summary>SetupBaseR, or null when <paramref name="enc"/> or the private key is invalid.</summary>
    internal HpkeContext? TrySetupBaseR(ReadOnlySpan<byte> enc, ReadOnlySpan<byte> privateKeyR, ReadOnlySpan<byte> info)
    {
        Span<byte> sharedSecret = stackalloc byte[Kem.SharedSecretLength];
        try
        {
            return Kem.TryDecap(enc, privateKeyR, sharedSecret) ? KeySchedule(sharedSecret, info, isSender: false) : null;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(sharedSecret);
        }
    }

    /// <summary>Single-shot SealBase (RFC 9180 §6.1): encrypts one message to <paramref name="publicKeyR"/>.
    /// Throws <see cref="MlsProtocolException"/> when the public key is invalid.</summary>
    public (byte[] Enc, byte[] Ciphertext) Seal(ReadOnlySpan<byte> publicKeyR, ReadOnlySpan<byte> info, ReadOnlySpan<byte> aad, ReadOnlySpan<byte> plaintext)
    {
        RequireAead();
        Span<byte> ikmE = stackalloc byte[Kem.EncapsulationRandomnessLength];
        Span<byte> sharedSecret = stackalloc byte[Kem.SharedSecretLength];
        Span<byte> key = stackalloc byte[Aead.KeyLength];
        Span<byte> nonce = stackalloc byte[Aead.NonceLength];
        try
        {
            RandomNumberGenerator.Fill(ikmE);
            byte[] enc = Kem.Encap(publicKeyR, ikmE, sharedSecret) ?? throw InvalidPublicKey();
            // The first message of a context uses sequence number 0, so its nonce is base_nonce.
            DeriveKeyAndNonce(sharedSecret, info, key, nonce);
            byte[] ciphertext = new byte[plaintext.Length + Aead.TagLength];
            Aead.Seal(key, nonce, aad, plaintext, ciphertext);
            return (enc, ciphertext);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(ikmE);
            CryptographicOperations.ZeroMemory(sharedSecret);
            CryptographicOperations.ZeroMemory(key);
            CryptographicOperations.ZeroMemory(nonce);
        }
    }

    /// <summary>Single-shot OpenBase (RFC 9180 §6.1); null when the encapsulated key, the private key
    /// or the ciphertext is invalid.</summary>
    public byte[]? Open(ReadOnlySpan<byte> privateKeyR, ReadOnlySpan<byte> enc, ReadOnlySpan<byte> info, ReadOnlySpan<byte> aad, ReadOnlySpan<byte> ciphertext)
    {
        RequireAead();
        if (ciphertext.Length < Aead.TagLength)
        {
            return null;
        }

        Span<byte> sharedSecret = stackalloc byte[Kem.SharedSecretLength];
        Span<byte> key = stackalloc byte[Aead.KeyLength];
        Span<byte> nonce = stackalloc byte[Aead.NonceLength];
        try
        {
            if (!Kem.TryDecap(enc, privateKeyR, sharedSecret))
            {
                return null;
            }

            DeriveKeyAndNonce(sharedSecret, info, key, nonce);
            byte[] plaintext = new byte[ciphertext.Length - Aead.TagLength];
            return Aead.Open(key, nonce, aad, ciphertext, plaintext) ? plaintext : null;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(sharedSecret);
            CryptographicOperations.ZeroMemory(key);
            CryptographicOperations.ZeroMemory(nonce);
        }
    }

    public override string ToString() => $"HPKE(kem 0x{KemId:X4}, kdf 0x{KdfId:X4}, aead 0x{AeadId:X4})";

    /// <summary>KeySchedule(mode_base, shared_secret, info, "", "") (RFC 9180 §5.1).</summary>
    private HpkeContext KeySchedule(ReadOnlySpan<byte> sharedSecret, ReadOnlySpan<byte> info, bool isSender)
    {
        int nh = Kdf.HashLength;
        Span<byte> context = stackalloc byte[1 + 2 * nh];
        Span<byte> secret = stackalloc byte[nh];
        byte[] key = new byte[Aead.KeyLength];
        byte[] baseNonce = new byte[Aead.NonceLength];
        byte[] exporterSecret = new byte[nh];
        try
        {
            KeyScheduleContext(info, context);
            Kdf.LabeledExtract(SuiteId, sharedSecret, "secret"u8, ReadOnlySpan<byte>.Empty, secret);
            Kdf.LabeledExpand(SuiteId, secret, "key"u8, context, key);
            Kdf.LabeledExpand(SuiteId, secret, "base_nonce"u8, context, baseNonce);
            Kdf.LabeledExpand(SuiteId, secret, "exp"u8, context, exporterSecret);
            return new HpkeContext(this, key, baseNonce, exporterSecret, isSender);
        }
        catch
        {
            CryptographicOperations.ZeroMemory(key);
            CryptographicOperations.ZeroMemory(baseNonce);
            CryptographicOperations.ZeroMemory(exporterSecret);
            throw;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(secret);
        }
    }

    /// <summary>The key and base nonce of the key schedule, without the exporter secret (single-shot use).</summary>
    private void DeriveKeyAndNonce(ReadOnlySpan<byte> sharedSecret, ReadOnlySpan<byte> info, Span<byte> key, Span<byte> baseNonce)
    {
        int nh = Kdf.HashLength;
        Span<byte> context = stackalloc byte[1 + 2 * nh];
        Span<byte> secret = stackalloc byte[nh];
        try
        {
            KeyScheduleContext(info, context);
            Kdf.LabeledExtract(SuiteId, sharedSecret, "secret"u8, ReadOnlySpan<byte>.Empty, secret);
            Kdf.LabeledExpand(SuiteId, secret, "key"u8, context, key);
            Kdf.LabeledExpand(SuiteId, secret, "base_nonce"u8, context, baseNonce);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(secret);
        }
    }

    /// <summary>key_schedule_context = mode || psk_id_hash || info_hash.</summary>
    internal void KeyScheduleContext(ReadOnlySpan<byte> info, Span<byte> context)
    {
        int nh = Kdf.HashLength;
        context[0] = ModeBase;
        _pskIdHash.CopyTo(context[1..]);
        Kdf.LabeledExtract(SuiteId, ReadOnlySpan<byte>.Empty, "info_hash"u8, info, context.Slice(1 + nh, nh));
    }

    private void RequireAead()
    {
        if (Aead.Id == ExportOnlyAead.Instance.Id)
        {
            throw new InvalidOperationException("This HPKE configuration is export-only.");
        }
    }

    private static MlsProtocolException InvalidPublicKey() => new(MlsError.HpkePublicKeyInvalid, "HPKE encapsulation failed: the recipient public key is invalid.");
}
