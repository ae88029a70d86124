// RFC 9420 §5.1 and §17.1: the cipher suite registry, key generation, signatures and the AEAD,
// with the failures MLS relies on (bad signatures, malformed keys, forged tags) returning false/null.
using Parley.Mls.Crypto;
using Xunit;

namespace Parley.Mls.Tests.Crypto;

public sealed class CipherSuiteTests
{
    public static TheoryData<ushort> Suites() => new(CipherSuite.Supported);

    [Fact]
    public void All_seven_suites_of_rfc_9420_and_four_post_quantum_suites_are_supported()
    {
        Assert.Equal(new ushort[] { 1, 2, 3, 4, 5, 6, 7, 79, 80, 83, 84 }, CipherSuite.Supported);
        Assert.Equal(new ushort[] { 79, 80, 83, 84 }, CipherSuite.Supported.Where(id => CipherSuite.Get(id).IsPostQuantum));
    }

    [Theory]
    [InlineData((ushort)1, "MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519")]
    [InlineData((ushort)79, "MLS_256_MLKEM768_AES256GCM_SHA384_Ed25519")]
    [InlineData((ushort)80, "MLS_256_MLKEM768_CHACHA20POLY1305_SHA384_Ed25519")]
    [InlineData((ushort)83, "MLS_256_XWING_AES256GCM_SHA512_Ed25519")]
    [InlineData((ushort)84, "MLS_256_XWING_CHACHA20POLY1305_SHA512_Ed25519")]
    public void Suite_names_follow_the_registry_and_ts_mls(ushort id, string name)
    {
        Assert.Equal(name, CipherSuite.NameOf(id));
    }

    [Fact]
    public void Suite_79_hashes_with_sha_384_and_derives_with_hkdf_sha512()
    {
        CipherSuite suite = CipherSuite.Get(79);

        Assert.Equal(System.Security.Cryptography.SHA384.HashData("abc"u8), suite.Hash("abc"u8));
        Assert.Equal(System.Security.Cryptography.HMACSHA384.HashData("key"u8, "abc"u8), suite.Mac("key"u8, "abc"u8));
        Assert.Equal(System.Security.Cryptography.HKDF.Extract(System.Security.Cryptography.HashAlgorithmName.SHA512, "ikm"u8.ToArray(), "salt"u8.ToArray()),
            suite.KdfExtract("salt"u8, "ikm"u8));
        Assert.Equal(0x0003, suite.Hpke.KdfId);
    }

    [Theory]
    [InlineData((ushort)0)]
    [InlineData((ushort)8)]
    [InlineData((ushort)0xF0A0)]
    [InlineData(ushort.MaxValue)]
    public void Unsupported_suite_id_is_rejected(ushort id)
    {
        Assert.False(CipherSuite.TryGet(id, out var suite));
        Assert.Null(suite);
        MlsAssert.Fails(MlsError.CipherSuiteUnsupported, () => CipherSuite.Get(id));
    }

    [Theory]
    [InlineData((ushort)1, 32, 16, 32, 32, 32)]
    [InlineData((ushort)2, 32, 16, 65, 65, 32)]
    [InlineData((ushort)3, 32, 32, 32, 32, 32)]
    [InlineData((ushort)4, 64, 32, 56, 56, 56)]
    [InlineData((ushort)5, 64, 32, 133, 133, 66)]
    [InlineData((ushort)6, 64, 32, 56, 56, 56)]
    [InlineData((ushort)7, 48, 32, 97, 97, 48)]
    [InlineData((ushort)79, 64, 32, 1184, 1088, 64)]
    [InlineData((ushort)80, 64, 32, 1184, 1088, 64)]
    [InlineData((ushort)83, 64, 32, 1216, 1120, 32)]
    [InlineData((ushort)84, 64, 32, 1216, 1120, 32)]
    public void Suite_has_the_sizes_of_its_algorithms(ushort id, int nh, int nk, int npk, int nenc, int nsk)
    {
        CipherSuite suite = CipherSuite.Get(id);

        Assert.Equal(id, suite.Id);
        Assert.Equal(nh, suite.HashLength);
        Assert.Equal(nk, suite.AeadKeyLength);
        Assert.Equal(12, suite.AeadNonceLength);
        Assert.Equal(npk, suite.Hpke.PublicKeyLength);
        Assert.Equal(nenc, suite.Hpke.EncapsulatedKeyLength);
        Assert.Equal(nsk, suite.Hpke.PrivateKeyLength);
        Assert.Same(suite, CipherSuite.Get(id));
    }

    [Theory]
    [MemberData(nameof(Suites))]
    public void Generated_signature_key_signs_and_verifies(ushort id)
    {
        CipherSuite suite = CipherSuite.Get(id);
        SignatureKeyPair keys = suite.GenerateSignatureKeyPair();

        byte[] signature = suite.SignWithLabel(keys.PrivateKey, "Test", "content"u8);

        Assert.Equal(keys.PublicKey, suite.SignaturePublicKey(keys.PrivateKey));
        Assert.True(suite.VerifyWithLabel(keys.PublicKey, "Test", "content"u8, signature));
        Assert.DoesNotContain(Convert.ToHexString(keys.PrivateKey), keys.ToString());
    }

    [Theory]
    [MemberData(nameof(Suites))]
    public void Wrong_signature_does_not_verify(ushort id)
    {
        CipherSuite suite = CipherSuite.Get(id);
        SignatureKeyPair keys = suite.GenerateSignatureKeyPair();
        SignatureKeyPair other = suite.GenerateSignatureKeyPair();
        byte[] signature = suite.Sign(keys.PrivateKey, "message"u8);
        byte[] flipped = (byte[])signature.Clone();
        flipped[^1] ^= 0x01;

        Assert.True(suite.Verify(keys.PublicKey, "message"u8, signature));
        Assert.False(suite.Verify(keys.PublicKey, "massage"u8, signature));
        Assert.False(suite.Verify(other.PublicKey, "message"u8, signature));
        Assert.False(suite.Verify(keys.PublicKey, "message"u8, flipped));
        Assert.False(suite.Verify(keys.PublicKey, "message"u8, signature.AsSpan(0, signature.Length - 1)));
        Assert.False(suite.Verify(keys.PublicKey, "message"u8, ReadOnlySpan<byte>.Empty));
        Assert.False(suite.Verify(keys.PublicKey, "message"u8, new byte[signature.Length]));
        Assert.False(suite.VerifyWithLabel(keys.PublicKey, "Other", "message"u8, suite.SignWithLabel(keys.PrivateKey, "Test", "message"u8)));
    }

    [Theory]
    [MemberData(nameof(Suites))]
    public void Malformed_signature_public_key_does_not_verify(ushort id)
    {
        CipherSuite suite = CipherSuite.Get(id);
        SignatureKeyPair keys = suite.GenerateSignatureKeyPair();
        byte[] signature = suite.Sign(keys.PrivateKey, "message"u8);

        foreach (byte[] badKey in MalformedPublicKeys(keys.PublicKey))
        {
            Assert.False(suite.Verify(badKey, "message"u8, signature));
        }
    }

    [Fact]
    public void P521_private_keys_without_their_leading_zero_byte_are_accepted()
    {
        // Interop vectors serialize some P-521 scalars in 65 bytes (leading zero dropped).
        CipherSuite suite = CipherSuite.Get(5);
        SignatureKeyPair signing;
        do
        {
            signing = suite.GenerateSignatureKeyPair();
        }
        while (signing.PrivateKey[0] != 0);
        HpkeKeyPair encryption;
        do
        {
            encryption = suite.Hpke.GenerateKeyPair();
        }
        while (encryption.PrivateKey[0] != 0);
        byte[] shortSigningKey = signing.PrivateKey[1..];
        byte[] shortEncryptionKey = encryption.PrivateKey[1..];

        Assert.Equal(signing.PublicKey, suite.SignaturePublicKey(shortSigningKey));
        Assert.True(suite.Verify(signing.PublicKey, "m"u8, suite.Sign(shortSigningKey, "m"u8)));
        Assert.Equal(encryption.PublicKey, suite.Hpke.PublicKeyFromPrivate(shortEncryptionKey));
        var (enc, ciphertext) = suite.Hpke.Seal(encryption.PublicKey, "info"u8, "aad"u8, "m"u8);
        Assert.Equal("m"u8.ToArray(), suite.Hpke.Open(shortEncryptionKey, enc, "info"u8, "aad"u8, ciphertext));
    }

    [Theory]
    [MemberData(nameof(Suites))]
    public void Aead_round_trips_and_rejects_a_forged_tag(ushort id)
    {
        CipherSuite suite = CipherSuite.Get(id);
        byte[] key = Enumerable.Range(1, suite.AeadKeyLength).Select(i => (byte)i).ToArray();
        byte[] nonce = new byte[suite.AeadNonceLength];
        byte[] ciphertext = suite.AeadSeal(key, nonce, "aad"u8, "plaintext"u8);

        Assert.Equal("plaintext"u8.Length + 16, ciphertext.Length);
        Assert.Equal("plaintext"u8.ToArray(), suite.AeadOpen(key, nonce, "aad"u8, ciphertext));
        Assert.Empty(suite.AeadOpen(key, nonce, ReadOnlySpan<byte>.Empty, suite.AeadSeal(key, nonce, ReadOnlySpan<byte>.Empty, ReadOnlySpan<byte>.Empty))!);

        byte[] tampered = (byte[])ciphertext.Clone();
        tampered[^1] ^= 0x80;
        Assert.Null(suite.AeadOpen(key, nonce, "aad"u8, tampered));
        tampered = (byte[])ciphertext.Clone();
        tampered[0] ^= 0x01;
        Assert.Null(suite.AeadOpen(key, nonce, "aad"u8, tampered));
        Assert.Null(suite.AeadOpen(key, nonce, "AAD"u8, ciphertext));
        Assert.Null(suite.AeadOpen(key, new byte[suite.AeadNonceLength - 1].Append((byte)1).ToArray(), "aad"u8, ciphertext));
        Assert.Null(suite.AeadOpen(key, nonce, "aad"u8, ciphertext.AsSpan(0, 15)));
    }

    [Fact]
    public void Nist_scalar_validity_holds_at_the_bounds_of_the_group_order()
    {
        foreach (var curve in new[] { NistCurve.P256, NistCurve.P384, NistCurve.P521 })
        {
            using var ec = System.Security.Cryptography.ECDiffieHellman.Create(curve.Curve);
            var order = new System.Numerics.BigInteger(ec.ExportExplicitParameters(false).Curve.Order, isUnsigned: true, isBigEndian: true);
            byte[] Scalar(System.Numerics.BigInteger value)
            {
                byte[] bytes = value.ToByteArray(isUnsigned: true, isBigEndian: true);
                return new byte[curve.FieldLength - bytes.Length].Concat(bytes).ToArray();
            }

            Assert.False(curve.IsValidScalar(new byte[curve.FieldLength]));
            Assert.True(curve.IsValidScalar(Scalar(1)));
            Assert.True(curve.IsValidScalar(Scalar(order - 1)));
            Assert.False(curve.IsValidScalar(Scalar(order)));
            Assert.False(curve.IsValidScalar(Scalar(order + 1)));
            Assert.True(curve.IsValidScalar(Scalar(order >> 1)));
            Assert.False(curve.IsValidScalar(Enumerable.Repeat((byte)0xFF, curve.FieldLength).ToArray()));
            Assert.False(curve.IsValidScalar(Scalar(1).AsSpan(1)));
        }
    }

    [Theory]
    [MemberData(nameof(Suites))]
    public void Aead_into_a_destination_matches_the_array_aead(ushort id)
    {
        CipherSuite suite = CipherSuite.Get(id);
        byte[] key = Enumerable.Range(1, suite.AeadKeyLength).Select(i => (byte)i).ToArray();
        byte[] nonce = new byte[suite.AeadNonceLength];
        byte[] plaintext = Enumerable.Range(0, 1000).Select(i => (byte)i).ToArray();
        byte[] expected = suite.AeadSeal(key, nonce, "aad"u8, plaintext);

        byte[] sealedInto = new byte[plaintext.Length + suite.AeadTagLength + 7];
        Assert.Equal(expected.Length, suite.AeadSeal(key, nonce, "aad"u8, plaintext, sealedInto));
        Assert.Equal(expected, sealedInto[..expected.Length]);

        byte[] opened = new byte[plaintext.Length + 3];
        Assert.True(suite.AeadOpen(key, nonce, "aad"u8, expected, opened));
        Assert.Equal(plaintext, opened[..plaintext.Length]);
        Assert.Equal(16, suite.AeadTagLength);
    }

    [Theory]
    [MemberData(nameof(Suites))]
    public void Aead_into_a_destination_rejects_a_forged_tag_and_leaves_no_plaintext(ushort id)
    {
        CipherSuite suite = CipherSuite.Get(id);
        byte[] key = new byte[suite.AeadKeyLength];
        byte[] nonce = new byte[suite.AeadNonceLength];
        byte[] ciphertext = suite.AeadSeal(key, nonce, "aad"u8, "secret plaintext"u8);
        ciphertext[^1] ^= 0x01;
        byte[] destination = new byte[ciphertext.Length];

        Assert.False(suite.AeadOpen(key, nonce, "aad"u8, ciphertext, destination));
        Assert.All(destination, b => Assert.Equal(0, b));
        Assert.False(suite.AeadOpen(key, nonce, "aad"u8, ciphertext.AsSpan(0, suite.AeadTagLength - 1), destination));
    }

    [Theory]
    [MemberData(nameof(Suites))]
    public void Aead_into_a_destination_that_is_too_small_throws(ushort id)
    {
        CipherSuite suite = CipherSuite.Get(id);
        byte[] key = new byte[suite.AeadKeyLength];
        byte[] nonce = new byte[suite.AeadNonceLength];
        byte[] ciphertext = suite.AeadSeal(key, nonce, default, "plaintext"u8);

        Assert.Throws<ArgumentException>(() => suite.AeadSeal(key, nonce, default, "plaintext"u8, new byte[ciphertext.Length - 1]));
        Assert.Throws<ArgumentException>(() => suite.AeadOpen(key, nonce, default, ciphertext, new byte["plaintext"u8.Length - 1]));
        Assert.Throws<ArgumentException>(() => suite.AeadOpen(key, new byte[3], default, ciphertext, new byte[64]));
    }

    [Theory]
    [MemberData(nameof(Suites))]
    public void Aead_rejects_keys_and_nonces_of_the_wrong_size(ushort id)
    {
        CipherSuite suite = CipherSuite.Get(id);

        Assert.Throws<ArgumentException>(() => suite.AeadSeal(new byte[suite.AeadKeyLength - 1], new byte[12], default, default));
        Assert.Throws<ArgumentException>(() => suite.AeadSeal(new byte[suite.AeadKeyLength], new byte[8], default, default));
    }

    [Theory]
    [MemberData(nameof(Suites))]
    public void Kdf_expand_accepts_empty_info_and_up_to_255_hash_lengths(ushort id)
    {
        CipherSuite suite = CipherSuite.Get(id);
        byte[] prk = suite.KdfExtract(ReadOnlySpan<byte>.Empty, "ikm"u8);

        byte[] longest = suite.KdfExpand(prk, ReadOnlySpan<byte>.Empty, 255 * suite.HashLength);
        byte[] shortest = suite.KdfExpand(prk, ReadOnlySpan<byte>.Empty, 1);

        Assert.Equal(suite.HashLength, prk.Length);
        Assert.Equal(suite.KdfExtract(new byte[suite.HashLength], "ikm"u8), prk);
        Assert.Equal(longest[0], shortest[0]);
        Assert.Empty(suite.KdfExpand(prk, "info"u8, 0));
        Assert.ThrowsAny<ArgumentException>(() => suite.KdfExpand(prk, ReadOnlySpan<byte>.Empty, 255 * suite.HashLength + 1));
    }

    [Fact]
    public void Hkdf_sha256_matches_rfc_5869_test_cases_1_and_3()
    {
        CipherSuite suite = CipherSuite.Get(1);
        byte[] ikm = Enumerable.Repeat((byte)0x0b, 22).ToArray();

        // RFC 5869 A.1
        byte[] prk = suite.KdfExtract(Convert.FromHexString("000102030405060708090a0b0c"), ikm);
        Assert.Equal(Convert.FromHexString("077709362c2e32df0ddc3f0dc47bba6390b6c73bb50f9c3122ec844ad7c2b3e5"), prk);
        Assert.Equal(
            Convert.FromHexString("3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865"),
            suite.KdfExpand(prk, Convert.FromHexString("f0f1f2f3f4f5f6f7f8f9"), 42));

        // RFC 5869 A.3: zero-length salt and info
        prk = suite.KdfExtract(ReadOnlySpan<byte>.Empty, ikm);
        Assert.Equal(Convert.FromHexString("19ef24a32c717b167f33a91d6f648bdf96596776afdb6377ac434c1c293ccb04"), prk);
        Assert.Equal(
            Convert.FromHexString("8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8"),
            suite.KdfExpand(prk, ReadOnlySpan<byte>.Empty, 42));
    }

    [Fact]
    public void Kdf_expand_accepts_a_key_shorter_than_the_hash()
    {
        // Computed with HMAC-SHA384 per RFC 5869 §2.3; the BCL's HKDF refuses such a short PRK.
        byte[] output = CipherSuite.Get(7).KdfExpand(Enumerable.Range(0, 16).Select(i => (byte)i).ToArray(), "info"u8, 100);

        Assert.Equal(
            Convert.FromHexString(
                "715294852057cf3e66ef3a819efadaf6f185600db2abb4c98c1453e638fff0978d7533e6359b70a87aa1e62c214ebf2b5e23425c8ede1f5addcff577422af0119a9323f2525846b32be9e078c85dc9c2f625fc71ebaeebdd3971d4f348c93e5cf89e9b4b"),
            output);
    }

    [Theory]
    [MemberData(nameof(Suites))]
    public void Hash_and_mac_have_the_hash_length(ushort id)
    {
        CipherSuite suite = CipherSuite.Get(id);
        // Suites 79 and 80 hash with SHA-384 but derive with HKDF-SHA512 (Nh = 64), as ts-mls does.
        int hashLength = id is 79 or 80 ? 48 : suite.HashLength;

        Assert.Equal(hashLength, suite.Hash(ReadOnlySpan<byte>.Empty).Length);
        Assert.Equal(hashLength, suite.Mac("key"u8, "data"u8).Length);
        Assert.NotEqual(suite.Mac("key"u8, "data"u8), suite.Mac("kez"u8, "data"u8));
    }

    /// <summary>Public keys of the right and wrong lengths that are not valid points (or not keys at all).</summary>
    internal static IEnumerable<byte[]> MalformedPublicKeys(byte[] valid)
    {
        yield return [];
        yield return valid[..^1];
        yield return [.. valid, 0];
        yield return Enumerable.Repeat((byte)0xFF, valid.Length).ToArray();
        if (valid[0] == 0x04 && valid.Length is 65 or 97 or 133)
        {
            byte[] offCurve = (byte[])valid.Clone();
            offCurve[^1] ^= 0x01;
            yield return offCurve;
            byte[] compressedPrefix = (byte[])valid.Clone();
            compressedPrefix[0] = 0x02;
            yield return compressedPrefix;
            yield return new byte[valid.Length];
            byte[] identity = new byte[valid.Length];
            identity[0] = 0x04;
            yield return identity;
        }
    }
}
