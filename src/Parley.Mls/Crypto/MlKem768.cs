// FIPS 203 ML-KEM-768 as an HPKE KEM (kem_id 0x0041, the code point of draft-ietf-hpke-pq and of ts-mls's
// @hpke/ml-kem): Nsecret 32, Nenc 1088, Npk 1184, Nsk 64. The private key is the 64-byte seed d || z of
// ML-KEM.KeyGen_internal (FIPS 203 §6.1); DeriveKeyPair takes that seed as its input keying material, which is
// how ts-mls derives MLS tree keys from 64-byte node secrets. Encapsulation checks the public key as FIPS 203
// §7.2 requires (length, and every coefficient below q); decapsulation rejects implicitly (§6.3), so a forged
// ciphertext yields an unrelated secret and the HPKE AEAD, not the KEM, reports the failure.
using System.Security.Cryptography;
using Org.BouncyCastle.Crypto.Kems;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Crypto.Prng;
using Org.BouncyCastle.Security;

namespace Parley.Mls.Crypto;

/// <summary>ML-KEM-768 (FIPS 203) on BouncyCastle, as the HPKE KEM 0x0041.</summary>
internal sealed class MlKem768 : Kem
{
    /// <summary>The HPKE kem_id of ML-KEM-768.</summary>
    public const ushort KemId = 0x0041;

    /// <summary>Npk: 384·k + 32 bytes with k = 3.</summary>
    public const int PublicKeySize = 1184;

    /// <summary>Nenc: the ML-KEM-768 ciphertext.</summary>
    public const int CiphertextSize = 1088;

    /// <summary>Nsk: the seed d || z.</summary>
    public const int SeedSize = 64;

    /// <summary>Length of the shared secret and of the encapsulation randomness m.</summary>
    public const int SecretSize = 32;

    private const int Q = 3329;

    public static readonly MlKem768 Instance = new();

    private static readonly MLKemParameters Parameters = MLKemParameters.ml_kem_768;

    private MlKem768() : base(KemId, SeedSize, PublicKeySize, CiphertextSize, SecretSize, SecretSize) { }

    public override bool IsPostQuantum => true;

    /// <summary>The key pair of the seed d || z (ML-KEM.KeyGen_internal); the input keying material must be 64 bytes.</summary>
    public override HpkeKeyPair DeriveKeyPair(ReadOnlySpan<byte> ikm)
    {
        if (ikm.Length != SeedSize)
        {
            throw new ArgumentException("ML-KEM-768 derives its key pair from a 64-byte seed d || z.", nameof(ikm));
        }

        byte[] seed = ikm.ToArray();
        return new HpkeKeyPair(seed, PublicKeyFromPrivate(seed));
    }

    public override bool IsWellFormedPublicKey(ReadOnlySpan<byte> publicKey) => IsValidEncapsulationKey(publicKey);

    public override byte[] PublicKeyFromPrivate(ReadOnlySpan<byte> privateKey) => ExpandPrivateKey(privateKey).GetPublicKeyEncoded();

    /// <summary>ML-KEM.Encaps_internal(ek, m) with m = <paramref name="randomness"/> (32 bytes).</summary>
    public override byte[]? Encap(ReadOnlySpan<byte> publicKeyR, ReadOnlySpan<byte> randomness, Span<byte> sharedSecret)
    {
        if (randomness.Length != SecretSize || sharedSecret.Length != SecretSize)
        {
            throw new ArgumentException("ML-KEM-768 encapsulation takes 32 bytes of randomness and yields a 32-byte secret.");
        }

        if (!IsValidEncapsulationKey(publicKeyR))
        {
            return null;
        }

        var encapsulator = new MLKemEncapsulator(Parameters);
        var publicKey = MLKemPublicKeyParameters.FromEncoding(Parameters, publicKeyR.ToArray());
        encapsulator.Init(new ParametersWithRandom(publicKey, new SecureRandom(new FixedBytes(randomness))));
        byte[] enc = new byte[CiphertextSize];
        encapsulator.Encapsulate(enc, sharedSecret);
        return enc;
    }

    /// <summary>ML-KEM.Decaps(dk, c); false only when the lengths are wrong (a forged c decapsulates, implicitly
    /// rejected, to a secret the sender does not know).</summary>
    public override bool TryDecap(ReadOnlySpan<byte> enc, ReadOnlySpan<byte> privateKeyR, Span<byte> sharedSecret)
    {
        if (enc.Length != CiphertextSize || privateKeyR.Length != SeedSize || sharedSecret.Length != SecretSize)
        {
            return false;
        }

        var decapsulator = new MLKemDecapsulator(Parameters);
        decapsulator.Init(ExpandPrivateKey(privateKeyR));
        decapsulator.Decapsulate(enc, sharedSecret);
        return true;
    }

    /// <summary>The expanded decapsulation key dk (FIPS 203 §7.1), for the known-answer tests.</summary>
    internal static byte[] ExpandedDecapsulationKey(ReadOnlySpan<byte> seed) => ExpandPrivateKey(seed).GetEncoded();

    /// <summary>FIPS 203 §7.2 input checking of an encapsulation key: 1184 bytes whose twelve-bit coefficients
    /// (ByteDecode12 of the first 1152 bytes) all lie below q.</summary>
    internal static bool IsValidEncapsulationKey(ReadOnlySpan<byte> publicKey)
    {
        if (publicKey.Length != PublicKeySize)
        {
            return false;
        }

        bool valid = true;
        for (int i = 0; i < PublicKeySize - 32; i += 3)
        {
            int first = publicKey[i] | ((publicKey[i + 1] & 0x0F) << 8);
            int second = (publicKey[i + 1] >> 4) | (publicKey[i + 2] << 4);
            valid &= first < Q & second < Q;
        }

        return valid;
    }

    private static MLKemPrivateKeyParameters ExpandPrivateKey(ReadOnlySpan<byte> seed)
    {
        if (seed.Length != SeedSize)
        {
            throw new ArgumentException("An ML-KEM-768 private key is the 64-byte seed d || z.", nameof(seed));
        }

        byte[] copy = seed.ToArray();
        try
        {
            return MLKemPrivateKeyParameters.FromSeed(Parameters, copy);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(copy);
        }
    }

    /// <summary>A random generator that hands out the given bytes, once: it makes BouncyCastle's encapsulation
    /// use the caller's randomness m (drawn from the system's generator, or a test vector's).</summary>
    private sealed class FixedBytes(ReadOnlySpan<byte> bytes) : IRandomGenerator
    {
        private readonly byte[] _bytes = bytes.ToArray();
        private int _used;

        public void AddSeedMaterial(byte[] seed) { }

        public void AddSeedMaterial(ReadOnlySpan<byte> seed) { }

        public void AddSeedMaterial(long seed) { }

        public void NextBytes(byte[] bytes) => NextBytes(bytes.AsSpan());

        public void NextBytes(byte[] bytes, int start, int len) => NextBytes(bytes.AsSpan(start, len));

        public void NextBytes(Span<byte> bytes)
        {
            if (bytes.Length > _bytes.Length - _used)
            {
                throw new InvalidOperationException("The encapsulation asked for more randomness than it was given.");
            }

            _bytes.AsSpan(_used, bytes.Length).CopyTo(bytes);
            CryptographicOperations.ZeroMemory(_bytes.AsSpan(_used, bytes.Length));
            _used += bytes.Length;
        }
    }
}
