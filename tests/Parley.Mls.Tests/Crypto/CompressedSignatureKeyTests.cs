// RFC 9420 §5.1.1 with SEC 1 v2 §2.3.4: ECDSA signature keys that arrive compressed (0x02/0x03 || X, as
// ts-mls sends them) verify like their uncompressed form; a wrong prefix or an X with no point on the
// curve is refused, and a key package carrying such a key is refused with MlsProtocolException.
using System.Numerics;
using System.Security.Cryptography;
using System.Text;
using Parley.Mls.Codec;
using Parley.Mls.Crypto;
using Parley.Mls.Group;
using Parley.Mls.Messages;
using Xunit;

namespace Parley.Mls.Tests.Crypto;

public sealed class CompressedSignatureKeyTests
{
    /// <summary>The ECDSA suites: P-256 (2), P-521 (5), P-384 (7).</summary>
    public static TheoryData<ushort> EcdsaSuites() => new() { 2, 5, 7 };

    private static readonly ECCurve[] Curves = [ECCurve.NamedCurves.nistP256, ECCurve.NamedCurves.nistP521, ECCurve.NamedCurves.nistP384];

    private static ECCurve CurveOf(ushort suite) => suite switch
    {
        2 => Curves[0],
        5 => Curves[1],
        _ => Curves[2],
    };

    /// <summary>SEC 1 compression of an uncompressed key 0x04 || X || Y: the prefix carries Y's parity.</summary>
    private static byte[] Compress(byte[] uncompressed)
    {
        int fieldLength = (uncompressed.Length - 1) / 2;
        byte[] compressed = new byte[1 + fieldLength];
        compressed[0] = (byte)(0x02 | (uncompressed[^1] & 1));
        uncompressed.AsSpan(1, fieldLength).CopyTo(compressed.AsSpan(1));
        return compressed;
    }

    /// <summary>A fresh key pair of the suite and its signature over the test content.</summary>
    private static (CipherSuite Suite, SignatureKeyPair Keys, byte[] Signature) Signed(ushort id)
    {
        CipherSuite suite = CipherSuite.Get(id);
        SignatureKeyPair keys = suite.GenerateSignatureKeyPair();
        return (suite, keys, suite.SignWithLabel(keys.PrivateKey, "Test", "content"u8));
    }

    private static bool Verifies(CipherSuite suite, byte[] publicKey, byte[] signature)
        => suite.VerifyWithLabel(publicKey, "Test", "content"u8, signature);

    /// <summary>A key package signed by <paramref name="keys"/> whose leaf carries <paramref name="publicKey"/>.</summary>
    private static KeyPackageBundle KeyPackageWith(CipherSuite suite, SignatureKeyPair keys, byte[] publicKey)
        => KeyPackageBundle.Create(suite, Credential.Basic("bob"u8.ToArray()), keys with { PublicKey = publicKey }, new Lifetime(0, ulong.MaxValue));

    [Theory]
    [MemberData(nameof(EcdsaSuites))]
    public void A_signature_verifies_with_the_compressed_form_of_the_key(ushort id)
    {
        var parities = new HashSet<byte>();
        // Keys of both parities (prefix 0x02 and 0x03), each verifying a signature of its own.
        for (int i = 0; i < 32 && parities.Count < 2; i++)
        {
            var (suite, keys, signature) = Signed(id);
            byte[] compressed = Compress(keys.PublicKey);
            parities.Add(compressed[0]);

            Assert.True(Verifies(suite, compressed, signature));
            Assert.True(Verifies(suite, keys.PublicKey, signature));
            Assert.False(suite.VerifyWithLabel(compressed, "Test", "other content"u8, signature));
        }
        Assert.Equal(2, parities.Count);
    }

    [Theory]
    [MemberData(nameof(EcdsaSuites))]
    public void Parley_still_writes_uncompressed_keys(ushort id)
    {
        CipherSuite suite = CipherSuite.Get(id);
        SignatureKeyPair keys = suite.GenerateSignatureKeyPair();

        Assert.Equal(0x04, keys.PublicKey[0]);
        Assert.Equal(keys.PublicKey, suite.SignaturePublicKey(keys.PrivateKey));
    }

    [Theory]
    [MemberData(nameof(EcdsaSuites))]
    public void A_compressed_key_with_the_other_parity_is_another_key(ushort id)
    {
        var (suite, keys, signature) = Signed(id);
        byte[] flipped = Compress(keys.PublicKey);
        flipped[0] ^= 0x01;

        Assert.False(Verifies(suite, flipped, signature));
    }

    [Theory]
    [MemberData(nameof(EcdsaSuites))]
    public void A_key_with_an_invalid_prefix_is_refused(ushort id)
    {
        var (suite, keys, signature) = Signed(id);
        byte[] compressed = Compress(keys.PublicKey);

        foreach (byte prefix in new byte[] { 0x00, 0x01, 0x04, 0x05, 0x06, 0x07, 0xFF })
        {
            byte[] key = (byte[])compressed.Clone();
            key[0] = prefix;
            Assert.False(Verifies(suite, key, signature), $"prefix {prefix:x2}");
        }
        // An uncompressed point with a compressed prefix, and a compressed one one byte short.
        byte[] longKey = (byte[])keys.PublicKey.Clone();
        longKey[0] = compressed[0];
        Assert.False(Verifies(suite, longKey, signature));
        Assert.False(Verifies(suite, compressed[..^1], signature));
    }

    [Theory]
    [MemberData(nameof(EcdsaSuites))]
    public void A_compressed_x_off_the_curve_or_outside_the_field_is_refused(ushort id)
    {
        var (suite, keys, signature) = Signed(id);
        int fieldLength = (keys.PublicKey.Length - 1) / 2;

        // An X for which x^3 + ax + b is not a square mod p (Euler's criterion): no point has it.
        using var ec = ECDsa.Create(CurveOf(id));
        ECCurve curve = ec.ExportExplicitParameters(false).Curve;
        var p = new BigInteger(curve.Prime, isUnsigned: true, isBigEndian: true);
        var a = new BigInteger(curve.A, isUnsigned: true, isBigEndian: true);
        var b = new BigInteger(curve.B, isUnsigned: true, isBigEndian: true);
        BigInteger x = 1;
        while (BigInteger.ModPow(((x * x + a) * x + b) % p, (p - 1) / 2, p) == 1)
        {
            x++;
        }
        foreach (byte prefix in new byte[] { 0x02, 0x03 })
        {
            byte[] offCurve = new byte[1 + fieldLength];
            offCurve[0] = prefix;
            x.TryWriteBytes(offCurve.AsSpan(1 + fieldLength - x.GetByteCount(isUnsigned: true)), out _, isUnsigned: true, isBigEndian: true);
            Assert.False(Verifies(suite, offCurve, signature));
        }

        // X = p and X = 2^bits - 1 are not field elements.
        byte[] prime = new byte[1 + fieldLength];
        prime[0] = 0x02;
        p.TryWriteBytes(prime.AsSpan(1 + fieldLength - p.GetByteCount(isUnsigned: true)), out _, isUnsigned: true, isBigEndian: true);
        Assert.False(Verifies(suite, prime, signature));
        byte[] ones = new byte[1 + fieldLength];
        ones.AsSpan().Fill(0xFF);
        ones[0] = 0x03;
        Assert.False(Verifies(suite, ones, signature));
    }

    [Theory]
    [MemberData(nameof(EcdsaSuites))]
    public void A_key_package_with_a_compressed_signature_key_is_valid(ushort id)
    {
        CipherSuite suite = CipherSuite.Get(id);
        SignatureKeyPair keys = suite.GenerateSignatureKeyPair();
        using var bundle = KeyPackageWith(suite, keys, Compress(keys.PublicKey));

        LeafNodeValidation.ValidateKeyPackage(suite, bundle.KeyPackage, [], MlsGroupOptions.Default);
    }

    [Theory]
    [MemberData(nameof(EcdsaSuites))]
    public void A_key_package_whose_signature_key_has_an_invalid_prefix_is_refused(ushort id)
    {
        CipherSuite suite = CipherSuite.Get(id);
        SignatureKeyPair keys = suite.GenerateSignatureKeyPair();
        byte[] bad = Compress(keys.PublicKey);
        bad[0] = 0x05;
        using var bundle = KeyPackageWith(suite, keys, bad);

        MlsAssert.Fails(MlsError.KeyPackageSignatureInvalid, () =>
            LeafNodeValidation.ValidateKeyPackage(suite, bundle.KeyPackage, [], MlsGroupOptions.Default));
    }

    [Fact]
    public void Members_with_compressed_p256_keys_create_join_and_commit()
    {
        CipherSuite suite = CipherSuite.Get(2);
        SignatureKeyPair aliceKeys = suite.GenerateSignatureKeyPair();
        SignatureKeyPair bobKeys = suite.GenerateSignatureKeyPair();
        using var alice = MlsGroup.Create(suite, Encoding.UTF8.GetBytes("compressed keys"), Credential.Basic("alice"u8.ToArray()),
            aliceKeys with { PublicKey = Compress(aliceKeys.PublicKey) });
        using var bobPackage = KeyPackageWith(suite, bobKeys, Compress(bobKeys.PublicKey));

        // Bob verifies the GroupInfo and every leaf signed with a compressed key.
        var added = alice.Commit(new CommitOptions { Proposals = [new Add(bobPackage.KeyPackage)] });
        alice.MergePendingCommit();
        using var bob = MlsGroup.JoinFromWelcome(added.Welcome!, bobPackage);

        var update = bob.Commit(new CommitOptions { ForcePath = true });
        bob.MergePendingCommit();
        alice.ProcessMessage(update.Commit.ToBytes());

        Assert.Equal(alice.EpochAuthenticator, bob.EpochAuthenticator);
        Assert.Equal(2, alice.Members.Count);
    }
}
