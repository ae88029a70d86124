// FIPS 203 ML-KEM-768 (Wycheproof's vectors) and draft-connolly-cfrg-xwing-kem-10 X-Wing (the draft's vectors), both
// copied into this folder (README.md), and the refusal of keys and ciphertexts of the wrong length or form.
using System.Text.Json;
using Org.BouncyCastle.Crypto.Digests;
using Parley.Mls.Crypto;
using Xunit;

namespace Parley.Mls.Tests.PostQuantum;

public sealed class KemVectorTests
{
    private static string PathOf(string file) => Path.Combine(AppContext.BaseDirectory, "PostQuantum", file);

    public static IEnumerable<object[]> XWingCases()
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(PathOf("xwing-draft-10.json")));
        return doc.RootElement.EnumerateArray()
            .Select(v => new object[] { v.GetProperty("seed").GetString()!, v.GetProperty("pk").GetString()!, v.GetProperty("eseed").GetString()!,
                v.GetProperty("ct").GetString()!, v.GetProperty("ss").GetString()! })
            .ToArray();
    }

    [Theory]
    [MemberData(nameof(XWingCases))]
    public void X_wing_matches_the_draft_vectors(string seed, string pk, string eseed, string ct, string ss)
    {
        var kem = XWingKem.Instance;
        byte[] sharedSecret = new byte[32];
        byte[] decapsulated = new byte[32];

        byte[] publicKey = kem.PublicKeyFromPrivate(Convert.FromHexString(seed));
        byte[]? enc = kem.Encap(publicKey, Convert.FromHexString(eseed), sharedSecret);
        bool opened = kem.TryDecap(Convert.FromHexString(ct), Convert.FromHexString(seed), decapsulated);

        Assert.Equal(pk, Convert.ToHexStringLower(publicKey));
        Assert.Equal(ct, Convert.ToHexStringLower(enc!));
        Assert.Equal(ss, Convert.ToHexStringLower(sharedSecret));
        Assert.True(opened);
        Assert.Equal(ss, Convert.ToHexStringLower(decapsulated));
    }

    [Fact]
    public void X_wing_derive_key_pair_hashes_the_input_keying_material_to_the_seed()
    {
        byte[] ikm = Enumerable.Range(0, 64).Select(i => (byte)i).ToArray();
        byte[] seed = new byte[32];
        var shake = new ShakeDigest(256);
        shake.BlockUpdate(ikm);
        shake.OutputFinal(seed);

        HpkeKeyPair keys = XWingKem.Instance.DeriveKeyPair(ikm);

        Assert.Equal(seed, keys.PrivateKey);
        Assert.Equal(XWingKem.Instance.PublicKeyFromPrivate(seed), keys.PublicKey);
    }

    public static IEnumerable<object[]> MlKemCases(string file)
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(PathOf("mlkem768-wycheproof.json")));
        return doc.RootElement.GetProperty(file).EnumerateArray().Select(t => new object[] { t.GetProperty("tcId").GetInt32(), t.GetRawText() }).ToArray();
    }

    /// <summary>Wycheproof decapsulation cases: key generation from the seed d || z and Decaps of c, valid
    /// (with implicit rejection) or refused for a seed or ciphertext of the wrong length.</summary>
    [Theory]
    [MemberData(nameof(MlKemCases), "mlkem_768_test")]
    public void Ml_kem_768_decapsulates_the_wycheproof_vectors(int tcId, string json)
    {
        using var t = JsonDocument.Parse(json);
        var v = t.RootElement;
        byte[] seed = Convert.FromHexString(v.GetProperty("seed").GetString()!);
        byte[] ciphertext = Convert.FromHexString(v.GetProperty("c").GetString()!);
        byte[] secret = new byte[32];
        var kem = MlKem768.Instance;

        if (v.GetProperty("result").GetString() == "valid")
        {
            Assert.Equal(v.GetProperty("ek").GetString(), Convert.ToHexStringLower(kem.DeriveKeyPair(seed).PublicKey));
            Assert.True(kem.TryDecap(ciphertext, seed, secret), $"case {tcId}");
            Assert.Equal(v.GetProperty("K").GetString(), Convert.ToHexStringLower(secret));
        }
        else
        {
            Assert.False(kem.TryDecap(ciphertext, seed, secret), $"case {tcId}");
            if (seed.Length != MlKem768.SeedSize)
            {
                Assert.Throws<ArgumentException>(() => kem.DeriveKeyPair(seed));
            }
        }
    }

    /// <summary>Wycheproof encapsulation cases: Encaps(ek, m), or its refusal of an encapsulation key of the wrong
    /// length or with a coefficient of q or more (FIPS 203 §7.2).</summary>
    [Theory]
    [MemberData(nameof(MlKemCases), "mlkem_768_encaps_test")]
    public void Ml_kem_768_encapsulates_the_wycheproof_vectors(int tcId, string json)
    {
        using var t = JsonDocument.Parse(json);
        var v = t.RootElement;
        byte[] publicKey = Convert.FromHexString(v.GetProperty("ek").GetString()!);
        byte[] message = Convert.FromHexString(v.GetProperty("m").GetString()!);
        byte[] secret = new byte[32];

        byte[]? enc = MlKem768.Instance.Encap(publicKey, message, secret);

        if (v.GetProperty("result").GetString() == "valid")
        {
            Assert.Equal(v.GetProperty("c").GetString(), Convert.ToHexStringLower(enc!));
            Assert.Equal(v.GetProperty("K").GetString(), Convert.ToHexStringLower(secret));
        }
        else
        {
            Assert.Null(enc);
            Assert.False(MlKem768.IsValidEncapsulationKey(publicKey), $"case {tcId}");
            if (publicKey.Length == MlKem768.PublicKeySize)
            {
                // The same unreduced key as the ML-KEM half of an X-Wing key is refused too.
                byte[] hybrid = [.. publicKey, .. XWingKem.Instance.GenerateKeyPair().PublicKey.AsSpan(MlKem768.PublicKeySize)];
                Assert.Null(XWingKem.Instance.Encap(hybrid, new byte[64], secret));
            }
        }
    }

    [Theory]
    [InlineData(0x0041)]
    [InlineData(0x647A)]
    public void Keys_and_ciphertexts_of_the_wrong_length_are_refused(int kemId)
    {
        Hpke hpke = Hpke.TryCreate((ushort)kemId, 0x0003, 0x0002)!;
        HpkeKeyPair keys = hpke.GenerateKeyPair();
        var (enc, ciphertext) = hpke.Seal(keys.PublicKey, "info"u8, ""u8, "secret"u8);

        MlsAssert.Fails(MlsError.HpkePublicKeyInvalid, () => hpke.Seal(keys.PublicKey[..^1], "info"u8, ""u8, "secret"u8));
        MlsAssert.Fails(MlsError.HpkePublicKeyInvalid, () => hpke.Seal([.. keys.PublicKey, 0], "info"u8, ""u8, "secret"u8));
        Assert.Null(hpke.Open(keys.PrivateKey, enc[..^1], "info"u8, ""u8, ciphertext));
        Assert.Null(hpke.Open(keys.PrivateKey, [.. enc, 0], "info"u8, ""u8, ciphertext));
        Assert.Null(hpke.Open(keys.PrivateKey, [], "info"u8, ""u8, ciphertext));
        Assert.Equal("secret"u8.ToArray(), hpke.Open(keys.PrivateKey, enc, "info"u8, ""u8, ciphertext));
    }

    [Theory]
    [InlineData(0x0041, 0)]
    [InlineData(0x0041, 1087)]
    [InlineData(0x647A, 0)]
    [InlineData(0x647A, 1000)]
    [InlineData(0x647A, 1119)]
    public void A_tampered_ciphertext_does_not_open(int kemId, int flippedByte)
    {
        Hpke hpke = Hpke.TryCreate((ushort)kemId, 0x0003, 0x0002)!;
        HpkeKeyPair keys = hpke.GenerateKeyPair();
        var (enc, ciphertext) = hpke.Seal(keys.PublicKey, "info"u8, ""u8, "secret"u8);
        enc[flippedByte] ^= 0x01;

        Assert.Null(hpke.Open(keys.PrivateKey, enc, "info"u8, ""u8, ciphertext));
    }

    [Fact]
    public void Ml_kem_derive_key_pair_takes_a_64_byte_seed()
    {
        Assert.Throws<ArgumentException>(() => MlKem768.Instance.DeriveKeyPair(new byte[48]));
        Assert.Equal(MlKem768.Instance.DeriveKeyPair(new byte[64]).PublicKey, MlKem768.Instance.PublicKeyFromPrivate(new byte[64]));
    }
}
