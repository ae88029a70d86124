// X-Wing, the hybrid of ML-KEM-768 and X25519 of draft-connolly-cfrg-xwing-kem (-10, the version ts-mls's
// @hpke/hybridkem-x-wing implements), as the HPKE KEM 0x647A: Nsecret 32, Nenc 1120, Npk 1216, Nsk 32.
//
//      expandDecapsulationKey(sk): expanded = SHAKE256(sk, 96)
//          (pkM, skM) = ML-KEM-768.KeyGen_internal(expanded[0:32], expanded[32:64]); skX = expanded[64:96]
//          pkX = X25519(skX, 9)
//      pk = pkM || pkX
//      Encapsulate(pk, eseed): ekX = eseed[32:64]; ctX = X25519(ekX, 9); ssX = X25519(ekX, pkX)
//          (ctM, ssM) = ML-KEM-768.Encaps_internal(pkM, eseed[0:32]); ct = ctM || ctX
//      Decapsulate(ct, sk): ssM = ML-KEM-768.Decaps(skM, ctM); ssX = X25519(skX, ctX)
//      ss = SHA3-256(ssM || ssX || ctX || pkX || XWingLabel), XWingLabel = "\./" || "/^\"
//      DeriveKeyPair(ikm) (HPKE use, §5.3): sk = SHAKE256(ikm, 32)
using System.Security.Cryptography;
using Org.BouncyCastle.Crypto.Digests;

namespace Parley.Mls.Crypto;

/// <summary>The X-Wing hybrid KEM: ML-KEM-768 on BouncyCastle, X25519 on libsodium, and a SHA3-256
/// combiner.</summary>
internal sealed class XWingKem : Kem
{
    /// <summary>The HPKE kem_id of X-Wing.</summary>
    public const ushort KemId = 0x647A;

    private const int X25519Size = 32;

    public static readonly XWingKem Instance = new();

    private static ReadOnlySpan<byte> Label => @"\.//^\"u8;

    private XWingKem()
        : base(KemId, 32, MlKem768.PublicKeySize + X25519Size, MlKem768.CiphertextSize + X25519Size, 32, MlKem768.SecretSize + X25519Size)
    {
    }

    public override bool IsPostQuantum => true;

    /// <summary>The right length, with an ML-KEM-768 half that passes the FIPS 203 §7.2 check.</summary>
    public override bool IsWellFormedPublicKey(ReadOnlySpan<byte> publicKey)
        => publicKey.Length == PublicKeyLength && MlKem768.IsValidEncapsulationKey(publicKey[..MlKem768.PublicKeySize]);

    /// <summary>sk = SHAKE256(ikm, 32) and its public key.</summary>
    public override HpkeKeyPair DeriveKeyPair(ReadOnlySpan<byte> ikm)
    {
        byte[] privateKey = new byte[PrivateKeyLength];
        Shake256(ikm, privateKey);
        return new HpkeKeyPair(privateKey, PublicKeyFromPrivate(privateKey));
    }

    public override byte[] PublicKeyFromPrivate(ReadOnlySpan<byte> privateKey)
    {
        if (privateKey.Length != PrivateKeyLength)
        {
            throw new ArgumentException("An X-Wing private key is a 32-byte seed.", nameof(privateKey));
        }

        Span<byte> expanded = stackalloc byte[MlKem768.SeedSize + X25519Size];
        try
        {
            Shake256(privateKey, expanded);
            byte[] publicKey = new byte[PublicKeyLength];
            MlKem768.Instance.PublicKeyFromPrivate(expanded[..MlKem768.SeedSize]).CopyTo(publicKey, 0);
            DhKemX25519.Instance.PublicKeyFromPrivate(expanded[MlKem768.SeedSize..]).CopyTo(publicKey, MlKem768.PublicKeySize);
            return publicKey;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(expanded);
        }
    }

    /// <summary>EncapsulateDerand(pk, eseed) with eseed = <paramref name="randomness"/> (64 bytes); null when
    /// the ML-KEM half of the public key fails its FIPS 203 check or the X25519 half is a low-order point.</summary>
    public override byte[]? Encap(ReadOnlySpan<byte> publicKeyR, ReadOnlySpan<byte> randomness, Span<byte> sharedSecret)
    {
        if (randomness.Length != EncapsulationRandomnessLength || sharedSecret.Length != SharedSecretLength)
        {
            throw new ArgumentException("X-Wing encapsulation takes a 64-byte eseed and yields a 32-byte secret.");
        }

        if (publicKeyR.Length != PublicKeyLength)
        {
            return null;
        }

        ReadOnlySpan<byte> publicKeyX = publicKeyR[MlKem768.PublicKeySize..];
        byte[] enc = new byte[EncapsulatedKeyLength];
        Span<byte> secretM = stackalloc byte[MlKem768.SecretSize];
        Span<byte> secretX = stackalloc byte[X25519Size];
        try
        {
            // TryDh writes ssX = X25519(ekX, pkX) and ctX = X25519(ekX, 9).
            if (!DhKemX25519.Instance.TryDh(randomness[MlKem768.SecretSize..], publicKeyX, secretX, enc.AsSpan(MlKem768.CiphertextSize)))
            {
                return null;
            }

            byte[]? ciphertextM = MlKem768.Instance.Encap(publicKeyR[..MlKem768.PublicKeySize], randomness[..MlKem768.SecretSize], secretM);
            if (ciphertextM is null)
            {
                return null;
            }

            ciphertextM.CopyTo(enc, 0);
            Combine(secretM, secretX, enc.AsSpan(MlKem768.CiphertextSize), publicKeyX, sharedSecret);
            return enc;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(secretM);
            CryptographicOperations.ZeroMemory(secretX);
        }
    }

    /// <summary>Decapsulate(ct, sk); false when a length is wrong or ctX is a low-order point.</summary>
    public override bool TryDecap(ReadOnlySpan<byte> enc, ReadOnlySpan<byte> privateKeyR, Span<byte> sharedSecret)
    {
        if (enc.Length != EncapsulatedKeyLength || privateKeyR.Length != PrivateKeyLength || sharedSecret.Length != SharedSecretLength)
        {
            return false;
        }

        ReadOnlySpan<byte> ciphertextX = enc[MlKem768.CiphertextSize..];
        Span<byte> expanded = stackalloc byte[MlKem768.SeedSize + X25519Size];
        Span<byte> secretM = stackalloc byte[MlKem768.SecretSize];
        Span<byte> secretX = stackalloc byte[X25519Size];
        Span<byte> publicKeyX = stackalloc byte[X25519Size];
        try
        {
            Shake256(privateKeyR, expanded);
            ReadOnlySpan<byte> privateKeyX = expanded[MlKem768.SeedSize..];
            if (!DhKemX25519.Instance.TryDh(privateKeyX, ciphertextX, secretX, publicKeyX)
                || !MlKem768.Instance.TryDecap(enc[..MlKem768.CiphertextSize], expanded[..MlKem768.SeedSize], secretM))
            {
                return false;
            }

            Combine(secretM, secretX, ciphertextX, publicKeyX, sharedSecret);
            return true;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(expanded);
            CryptographicOperations.ZeroMemory(secretM);
            CryptographicOperations.ZeroMemory(secretX);
        }
    }

    /// <summary>ss = SHA3-256(ssM || ssX || ctX || pkX || XWingLabel).</summary>
    private static void Combine(ReadOnlySpan<byte> secretM, ReadOnlySpan<byte> secretX, ReadOnlySpan<byte> ciphertextX,
        ReadOnlySpan<byte> publicKeyX, Span<byte> sharedSecret)
    {
        var sha3 = new Sha3Digest(256);
        sha3.BlockUpdate(secretM);
        sha3.BlockUpdate(secretX);
        sha3.BlockUpdate(ciphertextX);
        sha3.BlockUpdate(publicKeyX);
        sha3.BlockUpdate(Label);
        sha3.DoFinal(sharedSecret);
    }

    private static void Shake256(ReadOnlySpan<byte> input, Span<byte> output)
    {
        var shake = new ShakeDigest(256);
        shake.BlockUpdate(input);
        shake.OutputFinal(output);
    }
}
