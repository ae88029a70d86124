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
        var suites = new CipherSuite?[8];
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
        if (ChaCha20Poly1305Aead.IsSupported)
        {
            // The platform's crypto library provides ChaCha20-Poly1305 on every OS Parley targets;
            // without it these two suites are simply not offered.
            suites[3] = new StandardCipherSuite(0x0003, "MLS_128_DHKEMX25519_CHACHA20POLY1305_SHA256_Ed25519",
                DhKemX25519.Instance, Kdf.HkdfSha256, ChaCha20Poly1305Aead.Instance, Ed25519Signature.Instance);
            suites[6] = new StandardCipherSuite(0x0006, "MLS_256_DHKEMX448_CHACHA20POLY1305_SHA512_Ed448",
                DhKemX448.Instance, Kdf.HkdfSha512, ChaCha20Poly1305Aead.Instance, Ed448Signature.Instance);
        }

        return suites;
    }
}
