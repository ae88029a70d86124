// RFC 9180 §5 and §7.1.4 for each MLS suite's HPKE: round trips, context sequencing, and attacker-chosen
// encapsulated keys and ciphertexts that must fail as null rather than throw.
using Parley.Mls.Crypto;
using Xunit;

namespace Parley.Mls.Tests.Crypto;

public sealed class HpkeTests
{
    public static TheoryData<ushort> Suites() => new(CipherSuite.Supported);

    [Theory]
    [MemberData(nameof(Suites))]
    public void Generated_key_pair_seals_and_opens(ushort id)
    {
        Hpke hpke = CipherSuite.Get(id).Hpke;
        HpkeKeyPair keys = hpke.GenerateKeyPair();

        var (enc, ciphertext) = hpke.Seal(keys.PublicKey, "info"u8, "aad"u8, "secret message"u8);

        Assert.Equal(hpke.PublicKeyLength, keys.PublicKey.Length);
        Assert.Equal(keys.PublicKey, hpke.PublicKeyFromPrivate(keys.PrivateKey));
        Assert.Equal(hpke.EncapsulatedKeyLength, enc.Length);
        Assert.Equal("secret message"u8.ToArray(), hpke.Open(keys.PrivateKey, enc, "info"u8, "aad"u8, ciphertext));
        Assert.Null(hpke.Open(keys.PrivateKey, enc, "info!"u8, "aad"u8, ciphertext));
        Assert.Null(hpke.Open(hpke.GenerateKeyPair().PrivateKey, enc, "info"u8, "aad"u8, ciphertext));
    }

    [Theory]
    [MemberData(nameof(Suites))]
    public void Labeled_extract_of_a_large_input_extracts_the_labeled_concatenation(ushort id)
    {
        Hpke hpke = CipherSuite.Get(id).Hpke;
        byte[] ikm = Enumerable.Range(0, 5000).Select(i => (byte)i).ToArray();
        byte[] labeled = [.. "HPKE-v1"u8, .. hpke.SuiteId, .. "info_hash"u8, .. ikm];
        byte[] expected = new byte[hpke.Kdf.HashLength];
        byte[] actual = new byte[hpke.Kdf.HashLength];

        foreach (byte[] salt in new[] { Array.Empty<byte>(), Enumerable.Repeat((byte)7, hpke.Kdf.HashLength).ToArray() })
        {
            hpke.Kdf.Extract(salt, labeled, expected);
            hpke.Kdf.LabeledExtract(hpke.SuiteId, salt, "info_hash"u8, ikm, actual);
            Assert.Equal(expected, actual);
        }
    }

    [Theory]
    [MemberData(nameof(Suites))]
    public void Derive_key_pair_is_deterministic(ushort id)
    {
        // MLS derives tree keys from Nh-byte secrets (ML-KEM-768 takes exactly such a 64-byte seed).
        CipherSuite suite = CipherSuite.Get(id);
        Hpke hpke = suite.Hpke;
        byte[] ikm = Enumerable.Repeat((byte)1, suite.HashLength).ToArray();

        HpkeKeyPair first = hpke.DeriveKeyPair(ikm);
        HpkeKeyPair second = hpke.DeriveKeyPair(ikm);

        Assert.Equal(first.PrivateKey, second.PrivateKey);
        Assert.Equal(first.PublicKey, second.PublicKey);
        Assert.NotEqual(first.PublicKey, hpke.DeriveKeyPair(Enumerable.Repeat((byte)2, suite.HashLength).ToArray()).PublicKey);
    }

    [Theory]
    [MemberData(nameof(Suites))]
    public void Tampered_ciphertext_opens_to_null(ushort id)
    {
        Hpke hpke = CipherSuite.Get(id).Hpke;
        HpkeKeyPair keys = hpke.GenerateKeyPair();
        var (enc, ciphertext) = hpke.Seal(keys.PublicKey, "info"u8, "aad"u8, "secret message"u8);

        for (int i = 0; i < ciphertext.Length; i++)
        {
            byte[] tampered = (byte[])ciphertext.Clone();
            tampered[i] ^= 0x04;
            Assert.Null(hpke.Open(keys.PrivateKey, enc, "info"u8, "aad"u8, tampered));
        }

        Assert.Null(hpke.Open(keys.PrivateKey, enc, "info"u8, "aad"u8, ciphertext.AsSpan(0, 15)));
        Assert.Null(hpke.Open(keys.PrivateKey, enc, "info"u8, "aad"u8, ReadOnlySpan<byte>.Empty));
    }

    [Theory]
    [MemberData(nameof(Suites))]
    public void Malformed_encapsulated_key_opens_to_null(ushort id)
    {
        Hpke hpke = CipherSuite.Get(id).Hpke;
        HpkeKeyPair keys = hpke.GenerateKeyPair();
        var (enc, ciphertext) = hpke.Seal(keys.PublicKey, "info"u8, "aad"u8, "secret message"u8);

        // All-zero u-coordinates make X25519 and X448 output zero, which RFC 9180 §7.1.4 rejects;
        // for the NIST curves the same bytes are not a point at all.
        Assert.Null(hpke.Open(keys.PrivateKey, new byte[enc.Length], "info"u8, "aad"u8, ciphertext));
        foreach (byte[] badEnc in CipherSuiteTests.MalformedPublicKeys(enc))
        {
            Assert.Null(hpke.Open(keys.PrivateKey, badEnc, "info"u8, "aad"u8, ciphertext));
        }

        byte[] flipped = (byte[])enc.Clone();
        flipped[^2] ^= 0x10;
        Assert.Null(hpke.Open(keys.PrivateKey, flipped, "info"u8, "aad"u8, ciphertext));
    }

    [Theory]
    [MemberData(nameof(Suites))]
    public void Malformed_private_key_opens_to_null(ushort id)
    {
        Hpke hpke = CipherSuite.Get(id).Hpke;
        HpkeKeyPair keys = hpke.GenerateKeyPair();
        var (enc, ciphertext) = hpke.Seal(keys.PublicKey, "info"u8, "aad"u8, "secret message"u8);

        Assert.Null(hpke.Open(keys.PrivateKey[..^1], enc, "info"u8, "aad"u8, ciphertext));
        Assert.Null(hpke.Open([], enc, "info"u8, "aad"u8, ciphertext));
    }

    [Theory]
    [MemberData(nameof(Suites))]
    public void Sealing_to_an_invalid_public_key_is_a_protocol_error(ushort id)
    {
        CipherSuite suite = CipherSuite.Get(id);
        byte[] valid = suite.Hpke.GenerateKeyPair().PublicKey;
        // All zero is a low-order point for the DH KEMs and X-Wing; an ML-KEM key is invalid when a coefficient
        // is q or more (all ones: 4095).
        byte[] invalid = Enumerable.Repeat(suite.Hpke.KemId == 0x0041 ? (byte)0xFF : (byte)0, valid.Length).ToArray();

        MlsAssert.Fails(MlsError.HpkePublicKeyInvalid, () => suite.Hpke.Seal(valid[..^1], "info"u8, "aad"u8, "m"u8));
        MlsAssert.Fails(MlsError.HpkePublicKeyInvalid, () => suite.EncryptWithLabel(invalid, "Test", "context"u8, "m"u8));
        MlsAssert.Fails(MlsError.HpkePublicKeyInvalid, () => suite.Hpke.SetupBaseS(invalid, "info"u8));
    }

    [Theory]
    [MemberData(nameof(Suites))]
    public void Context_numbers_messages_in_order(ushort id)
    {
        Hpke hpke = CipherSuite.Get(id).Hpke;
        HpkeKeyPair keys = hpke.GenerateKeyPair();
        var (enc, sender) = hpke.SetupBaseS(keys.PublicKey, "info"u8);
        using var s = sender;
        using HpkeContext recipient = hpke.SetupBaseR(enc, keys.PrivateKey, "info"u8);

        byte[] first = sender.Seal("1"u8, "first"u8);
        byte[] second = sender.Seal("2"u8, "second"u8);

        // Out of order: the recipient expects sequence number 0, so the second message fails
        // and does not advance the context.
        Assert.Null(recipient.Open("2"u8, second));
        Assert.Equal(0ul, recipient.SequenceNumber);
        Assert.Equal("first"u8.ToArray(), recipient.Open("1"u8, first));
        Assert.Equal("second"u8.ToArray(), recipient.Open("2"u8, second));
        Assert.Equal(2ul, recipient.SequenceNumber);
        Assert.Equal(sender.Export("label"u8, 42), recipient.Export("label"u8, 42));
        Assert.NotEqual(first.AsSpan(0, 5).ToArray(), hpke.Seal(keys.PublicKey, "info"u8, "1"u8, "first"u8).Ciphertext.AsSpan(0, 5).ToArray());
    }

    [Theory]
    [MemberData(nameof(Suites))]
    public void Single_shot_seal_opens_with_a_recipient_context(ushort id)
    {
        Hpke hpke = CipherSuite.Get(id).Hpke;
        HpkeKeyPair keys = hpke.GenerateKeyPair();
        var (enc, ciphertext) = hpke.Seal(keys.PublicKey, "info"u8, "aad"u8, "hello"u8);

        using HpkeContext recipient = hpke.SetupBaseR(enc, keys.PrivateKey, "info"u8);

        Assert.Equal("hello"u8.ToArray(), recipient.Open("aad"u8, ciphertext));
    }

    [Fact]
    public void Contexts_keep_to_their_role_and_wipe_secrets_on_dispose()
    {
        Hpke hpke = CipherSuite.Get(1).Hpke;
        HpkeKeyPair keys = hpke.GenerateKeyPair();
        var (enc, sender) = hpke.SetupBaseS(keys.PublicKey, ReadOnlySpan<byte>.Empty);
        HpkeContext recipient = hpke.SetupBaseR(enc, keys.PrivateKey, ReadOnlySpan<byte>.Empty);

        Assert.Throws<InvalidOperationException>(() => sender.Open(default, new byte[16]));
        Assert.Throws<InvalidOperationException>(() => recipient.Seal(default, default));

        recipient.Dispose();
        Assert.True(recipient.Key.IndexOfAnyExcept((byte)0) < 0);
        Assert.True(recipient.BaseNonce.IndexOfAnyExcept((byte)0) < 0);
        Assert.True(recipient.ExporterSecret.IndexOfAnyExcept((byte)0) < 0);
        Assert.Throws<ObjectDisposedException>(() => recipient.Export(default, 32));
        sender.Dispose();
    }

    [Fact]
    public void Setup_with_an_invalid_encapsulated_key_is_a_protocol_error()
    {
        Hpke hpke = CipherSuite.Get(2).Hpke;
        HpkeKeyPair keys = hpke.GenerateKeyPair();

        MlsAssert.Fails(MlsError.HpkeDecryptionFailed, () => hpke.SetupBaseR(new byte[65], keys.PrivateKey, default));
    }

    [Fact]
    public void Export_only_configuration_refuses_to_encrypt()
    {
        Hpke hpke = Hpke.TryCreate(0x0020, 0x0001, 0xFFFF)!;
        HpkeKeyPair keys = hpke.GenerateKeyPair();
        var (enc, sender) = hpke.SetupBaseS(keys.PublicKey, default);
        using var s = sender;
        using HpkeContext recipient = hpke.SetupBaseR(enc, keys.PrivateKey, default);

        Assert.Equal(sender.Export("x"u8, 16), recipient.Export("x"u8, 16));
        Assert.Throws<InvalidOperationException>(() => sender.Seal(default, default));
        Assert.Throws<InvalidOperationException>(() => hpke.Seal(keys.PublicKey, default, default, default));
    }

    [Fact]
    public void Hpke_configurations_outside_rfc_9180_are_unknown()
    {
        Assert.Null(Hpke.TryCreate(0x0030, 0x0001, 0x0001));
        Assert.Null(Hpke.TryCreate(0x0020, 0x0004, 0x0001));
        Assert.Null(Hpke.TryCreate(0x0020, 0x0001, 0x0004));
    }
}
