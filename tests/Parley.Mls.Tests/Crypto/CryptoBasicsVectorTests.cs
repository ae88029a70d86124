// RFC 9420 §5.1.2 (SignWithLabel), §5.1.3 (EncryptWithLabel), §5.2 (RefHash), §8 (ExpandWithLabel,
// DeriveSecret) and §9 (DeriveTreeSecret) against the official crypto-basics vectors, one case per suite.
using System.Text.Json;
using Parley.Mls.Crypto;
using Parley.Mls.Tests.Vectors;
using Xunit;

namespace Parley.Mls.Tests.Crypto;

public sealed class CryptoBasicsVectorTests
{
    private const string File = "crypto-basics";

    public static IEnumerable<object[]> Cases() => VectorFile.Cases(File);

    [Fact]
    public void Every_cipher_suite_of_the_vector_file_is_implemented()
    {
        var suites = VectorFile.Load(File).Select(e => e.GetProperty("cipher_suite").GetUInt16()).ToArray();

        Assert.Equal(new ushort[] { 1, 2, 3, 4, 5, 6, 7 }, suites.Order());
        Assert.All(suites, id => Assert.True(CipherSuite.TryGet(id, out _)));
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Ref_hash_matches(int index, ushort cipherSuite)
    {
        var (suite, v) = Load(index, cipherSuite, "ref_hash");

        byte[] output = suite.RefHash(v.GetProperty("label").GetString()!, v.Hex("value"));

        Assert.Equal(v.Hex("out"), output);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Expand_with_label_matches(int index, ushort cipherSuite)
    {
        var (suite, v) = Load(index, cipherSuite, "expand_with_label");

        byte[] output = suite.ExpandWithLabel(
            v.Hex("secret"), v.GetProperty("label").GetString()!, v.Hex("context"), v.GetProperty("length").GetUInt16());

        Assert.Equal(v.Hex("out"), output);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Derive_secret_matches(int index, ushort cipherSuite)
    {
        var (suite, v) = Load(index, cipherSuite, "derive_secret");

        byte[] output = suite.DeriveSecret(v.Hex("secret"), v.GetProperty("label").GetString()!);

        Assert.Equal(v.Hex("out"), output);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Derive_tree_secret_matches(int index, ushort cipherSuite)
    {
        var (suite, v) = Load(index, cipherSuite, "derive_tree_secret");

        byte[] output = suite.DeriveTreeSecret(
            v.Hex("secret"), v.GetProperty("label").GetString()!, v.GetProperty("generation").GetUInt32(), v.GetProperty("length").GetUInt16());

        Assert.Equal(v.Hex("out"), output);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Sign_with_label_signature_verifies(int index, ushort cipherSuite)
    {
        var (suite, v) = Load(index, cipherSuite, "sign_with_label");
        string label = v.GetProperty("label").GetString()!;
        byte[] content = v.Hex("content");

        Assert.Equal(v.Hex("pub"), suite.SignaturePublicKey(v.Hex("priv")));
        Assert.True(suite.VerifyWithLabel(v.Hex("pub"), label, content, v.Hex("signature")));
        Assert.False(suite.VerifyWithLabel(v.Hex("pub"), label + "x", content, v.Hex("signature")));
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Sign_with_label_produces_a_signature_that_verifies(int index, ushort cipherSuite)
    {
        var (suite, v) = Load(index, cipherSuite, "sign_with_label");
        string label = v.GetProperty("label").GetString()!;
        byte[] content = v.Hex("content");

        byte[] signature = suite.SignWithLabel(v.Hex("priv"), label, content);

        Assert.True(suite.VerifyWithLabel(v.Hex("pub"), label, content, signature));
        if (IsEdDsa(cipherSuite))
        {
            // EdDSA is deterministic, so the signature must be the vector's byte for byte; ECDSA is randomized.
            Assert.Equal(v.Hex("signature"), signature);
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Encrypt_with_label_ciphertext_decrypts(int index, ushort cipherSuite)
    {
        var (suite, v) = Load(index, cipherSuite, "encrypt_with_label");

        byte[] plaintext = suite.DecryptWithLabel(
            v.Hex("priv"), v.GetProperty("label").GetString()!, v.Hex("context"), v.Hex("kem_output"), v.Hex("ciphertext"));

        Assert.Equal(v.Hex("pub"), suite.Hpke.PublicKeyFromPrivate(v.Hex("priv")));
        Assert.Equal(v.Hex("plaintext"), plaintext);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Encrypt_with_label_round_trips(int index, ushort cipherSuite)
    {
        var (suite, v) = Load(index, cipherSuite, "encrypt_with_label");
        string label = v.GetProperty("label").GetString()!;

        HpkeCiphertext ciphertext = suite.EncryptWithLabel(v.Hex("pub"), label, v.Hex("context"), v.Hex("plaintext"));
        byte[] plaintext = suite.DecryptWithLabel(v.Hex("priv"), label, v.Hex("context"), ciphertext.KemOutput, ciphertext.Ciphertext);

        Assert.Equal(suite.Hpke.EncapsulatedKeyLength, ciphertext.KemOutput.Length);
        Assert.Equal(v.Hex("plaintext"), plaintext);
        MlsAssert.Fails(MlsError.HpkeDecryptionFailed, () => suite.DecryptWithLabel(v.Hex("priv"), label + "x", v.Hex("context"), ciphertext.KemOutput, ciphertext.Ciphertext));
    }

    private static bool IsEdDsa(ushort cipherSuite) => cipherSuite is 1 or 3 or 4 or 6;

    private static (CipherSuite Suite, JsonElement Vector) Load(int index, ushort cipherSuite, string property)
    {
        JsonElement entry = VectorFile.Load(File)[index];
        Assert.Equal(cipherSuite, entry.GetProperty("cipher_suite").GetUInt16());
        return (CipherSuite.Get(cipherSuite), entry.GetProperty(property));
    }
}
