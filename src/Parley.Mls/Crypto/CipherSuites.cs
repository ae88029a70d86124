// RFC 9420 §17.1: the MLS cipher suite registry.
//
//      | Value  | Name                                                  |
//      | ------ | ----------------------------------------------------- |
//      | 0x0001 | MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519          |
//      | 0x0002 | MLS_128_DHKEMP256_AES128GCM_SHA256_P256               |
//      | 0x0003 | MLS_128_DHKEMX25519_CHACHA20POLY1305_SHA256_Ed25519   |
//      | 0x0004 | MLS_256_DHKEMX448_AES256GCM_SHA512_Ed448              |
//      | 0x0005 | MLS_256_DHKEMP521_AES256GCM_SHA512_P521               |
//      | 0x0006 | MLS_256_DHKEMX448_CHACHA20POLY1305_SHA512_Ed448       |
//      | 0x0007 | MLS_256_DHKEMP384_AES256GCM_SHA384_P384               |
//
// Post-quantum suites: provisional code points, not registered with IANA. Parley uses the values ts-mls 1.6.4
// uses, so that the two interoperate; OpenMLS numbers its X-Wing suite differently. This table is the only
// place that maps these code points to algorithms (docs/protocol.md, "Cipher suites"). In ts-mls every one of
// them derives with HKDF-SHA512 (the MLS KDF and HPKE's), whatever hash the name gives.
//
//      | Value  | Name                                              | KEM                 | Hash    |
//      | ------ | ------------------------------------------------- | ------------------- | ------- |
//      | 0x004F | MLS_256_MLKEM768_AES256GCM_SHA384_Ed25519         | ML-KEM-768 (0x0041) | SHA-384 |
//      | 0x0050 | MLS_256_MLKEM768_CHACHA20POLY1305_SHA384_Ed25519  | ML-KEM-768 (0x0041) | SHA-384 |
//      | 0x0053 | MLS_256_XWING_AES256GCM_SHA512_Ed25519            | X-Wing (0x647A)     | SHA-512 |
//      | 0x0054 | MLS_256_XWING_CHACHA20POLY1305_SHA512_Ed25519     | X-Wing (0x647A)     | SHA-512 |
using System.Diagnostics.CodeAnalysis;

namespace Parley.Mls.Crypto;

/// <summary>The cipher suites Parley implements, created once and shared (they hold no per-use state).</summary>
internal static class CipherSuites
{
    private static readonly CipherSuite?[] ById = Build();

    /// <summary>Code points of the implemented suites, ascending.</summary>
    public static IReadOnlyList<ushort> Supported { get; } =
        Enumerable.Range(0, ById.Length).Where(i => ById[i] is not null).Select(i => (ushort)i).ToArray();

    public static bool TryGet(ushort id, [NotNullWhen(true)] out CipherSuite? suite)
    {
        suite = id < ById.Length ? ById[id] : null;
        return suite is not null;
    }

    private static CipherSuite?[] Build()
    {
        var suites = new CipherSuite?[0x55];
        suites[1] = new StandardCipherSuite(0x0001, "MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519",
            DhKemX25519.Instance, Kdf.HkdfSha256, AesGcmAead.Aes128Gcm, Ed25519Signature.Instance);
        suites[2] = new StandardCipherSuite(0x0002, "MLS_128_DHKEMP256_AES128GCM_SHA256_P256",
            DhKemNist.P256, Kdf.HkdfSha256, AesGcmAead.Aes128Gcm, EcdsaSignature.P256Sha256);
        suites[4] = new StandardCipherSuite(0x0004, "MLS_256_DHKEMX448_AES256GCM_SHA512_Ed448",
            DhKemX448.Instance, Kdf.HkdfSha512, AesGcmAead.Aes256Gcm, Ed448Signature.Instance);
        suites[5] = new StandardCipherSuite(0x0005, "MLS_256_DHKEMP521_AES256GCM_SHA512_P521",
            DhKemNist.P521, Kdf.HkdfSha512, AesGcmAead.Aes256Gcm, EcdsaSignature.P521Sha512);
        suites[7] = new StandardCipherSuite(0x0007, "MLS_256_DHKEMP384_AES256GCM_SHA384_P384",
            DhKemNist.P384, Kdf.HkdfSha384, AesGcmAead.Aes256Gcm, EcdsaSignature.P384Sha384);
        suites[0x4F] = new StandardCipherSuite(0x004F, "MLS_256_MLKEM768_AES256GCM_SHA384_Ed25519",
            MlKem768.Instance, Kdf.HkdfSha512, AesGcmAead.Aes256Gcm, Ed25519Signature.Instance, hash: Kdf.HkdfSha384);
        suites[0x53] = new StandardCipherSuite(0x0053, "MLS_256_XWING_AES256GCM_SHA512_Ed25519",
            XWingKem.Instance, Kdf.HkdfSha512, AesGcmAead.Aes256Gcm, Ed25519Signature.Instance);
        if (ChaCha20Poly1305Aead.IsSupported)
        {
            // The platform's crypto library provides ChaCha20-Poly1305 on every OS Parley targets;
            // without it these two suites are simply not offered.
            suites[3] = new StandardCipherSuite(0x0003, "MLS_128_DHKEMX25519_CHACHA20POLY1305_SHA256_Ed25519",
                DhKemX25519.Instance, Kdf.HkdfSha256, ChaCha20Poly1305Aead.Instance, Ed25519Signature.Instance);
            suites[6] = new StandardCipherSuite(0x0006, "MLS_256_DHKEMX448_CHACHA20POLY1305_SHA512_Ed448",
                DhKemX448.Instance, Kdf.HkdfSha512, ChaCha20Poly1305Aead.Instance, Ed448Signature.Instance);
            suites[0x50] = new StandardCipherSuite(0x0050, "MLS_256_MLKEM768_CHACHA20POLY1305_SHA384_Ed25519",
                MlKem768.Instance, Kdf.HkdfSha512, ChaCha20Poly1305Aead.Instance, Ed25519Signature.Instance, hash: Kdf.HkdfSha384);
            suites[0x54] = new StandardCipherSuite(0x0054, "MLS_256_XWING_CHACHA20POLY1305_SHA512_Ed25519",
                XWingKem.Instance, Kdf.HkdfSha512, ChaCha20Poly1305Aead.Instance, Ed25519Signature.Instance);
        }

        return suites;
    }
}
