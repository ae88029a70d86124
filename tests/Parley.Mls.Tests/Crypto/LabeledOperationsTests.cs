// RFC 9420 §5.1.2 (SignWithLabel, VerifyWithLabel), §5.1.3 (EncryptWithLabel, DecryptWithLabel) and
// §8 (ExpandWithLabel): the labelled structures are built without copying the content, so check them
// against the same structures written out with the TLS codec, across every varint length boundary.
using Parley.Mls.Codec;
using Parley.Mls.Crypto;
using Xunit;

namespace Parley.Mls.Tests.Crypto;

public sealed class LabeledOperationsTests
{
    public static TheoryData<ushort, int> SuitesAndLengths()
    {
        var data = new TheoryData<ushort, int>();
        foreach (ushort id in CipherSuite.Supported)
        {
            // Empty, one-byte varint limit, two-byte varint, past the stack buffer, four-byte varint.
            foreach (int length in new[] { 0, 63, 64, 700, 16384 })
            {
                data.Add(id, length);
            }
        }
        return data;
    }

    public static TheoryData<ushort> Suites() => new(CipherSuite.Supported);

    [Theory]
    [MemberData(nameof(SuitesAndLengths))]
    public void Sign_with_label_signs_the_sign_content_of_rfc_9420(ushort id, int length)
    {
        CipherSuite suite = CipherSuite.Get(id);
        SignatureKeyPair keys = suite.GenerateSignatureKeyPair();
        byte[] content = Content(length);
        byte[] signContent = SignContent("FramedContentTBS", content);

        Assert.True(suite.Verify(keys.PublicKey, signContent, suite.SignWithLabel(keys.PrivateKey, "FramedContentTBS", content)));
        Assert.True(suite.VerifyWithLabel(keys.PublicKey, "FramedContentTBS", content, suite.Sign(keys.PrivateKey, signContent)));
    }

    [Theory]
    [MemberData(nameof(Suites))]
    public void A_label_too_long_for_the_stack_is_encoded_the_same_way(ushort id)
    {
        CipherSuite suite = CipherSuite.Get(id);
        SignatureKeyPair keys = suite.GenerateSignatureKeyPair();
        string label = new('L', 300);
        byte[] content = Content(10);

        Assert.True(suite.Verify(keys.PublicKey, SignContent(label, content), suite.SignWithLabel(keys.PrivateKey, label, content)));
        Assert.Equal(
            suite.KdfExpand(new byte[suite.HashLength], KdfLabel(label, content, 20), 20),
            suite.ExpandWithLabel(new byte[suite.HashLength], label, content, 20));
    }

    [Theory]
    [MemberData(nameof(SuitesAndLengths))]
    public void Expand_with_label_expands_the_kdf_label_of_rfc_9420(ushort id, int length)
    {
        CipherSuite suite = CipherSuite.Get(id);
        byte[] secret = Content(suite.HashLength);
        byte[] context = Content(length);

        Assert.Equal(
            suite.KdfExpand(secret, KdfLabel("derived psk", context, suite.HashLength), suite.HashLength),
            suite.ExpandWithLabel(secret, "derived psk", context, suite.HashLength));
    }

    [Theory]
    [MemberData(nameof(SuitesAndLengths))]
    public void Encrypt_with_label_uses_the_encrypt_context_of_rfc_9420(ushort id, int length)
    {
        CipherSuite suite = CipherSuite.Get(id);
        HpkeKeyPair keys = suite.Hpke.GenerateKeyPair();
        byte[] context = Content(length);
        byte[] encryptContext = SignContent("Welcome", context);

        var sealedWithLabel = suite.EncryptWithLabel(keys.PublicKey, "Welcome", context, "group secrets"u8);
        Assert.Equal("group secrets"u8.ToArray(),
            suite.Hpke.Open(keys.PrivateKey, sealedWithLabel.KemOutput, encryptContext, default, sealedWithLabel.Ciphertext));

        var (enc, ciphertext) = suite.Hpke.Seal(keys.PublicKey, encryptContext, default, "group secrets"u8);
        Assert.Equal("group secrets"u8.ToArray(), suite.DecryptWithLabel(keys.PrivateKey, "Welcome", context, enc, ciphertext));
        MlsAssert.Fails(MlsError.HpkeDecryptionFailed, () => suite.DecryptWithLabel(keys.PrivateKey, "Other", context, enc, ciphertext));
    }

    [Fact]
    public void Sign_with_label_of_a_one_mebibyte_content_verifies()
    {
        foreach (ushort id in new ushort[] { 1, 2 })
        {
            CipherSuite suite = CipherSuite.Get(id);
            SignatureKeyPair keys = suite.GenerateSignatureKeyPair();
            byte[] content = Content(1 << 20);
            byte[] signature = suite.SignWithLabel(keys.PrivateKey, "FramedContentTBS", content);

            Assert.True(suite.VerifyWithLabel(keys.PublicKey, "FramedContentTBS", content, signature));
            content[^1] ^= 1;
            Assert.False(suite.VerifyWithLabel(keys.PublicKey, "FramedContentTBS", content, signature));
        }
    }

    [Theory]
    [MemberData(nameof(SuitesAndLengths))]
    public void Signing_in_place_signs_the_same_sign_content(ushort id, int length)
    {
        CipherSuite suite = CipherSuite.Get(id);
        SignatureKeyPair keys = suite.GenerateSignatureKeyPair();
        byte[] content = Content(length);
        byte[] signContent = SignContent("FramedContentTBS", content);
        // The content after the room for the header, as MessageProtection lays out a FramedContentTBS.
        byte[] buffer = new byte[CipherSuite.LabelHeaderRoom + length];
        content.CopyTo(buffer, CipherSuite.LabelHeaderRoom);

        byte[] signature = suite.SignWithLabelInPlace(keys.PrivateKey, "FramedContentTBS", buffer, CipherSuite.LabelHeaderRoom);

        Assert.True(suite.Verify(keys.PublicKey, signContent, signature));
        Assert.True(suite.VerifyWithLabelInPlace(keys.PublicKey, "FramedContentTBS", buffer, CipherSuite.LabelHeaderRoom,
            suite.Sign(keys.PrivateKey, signContent)));
        Assert.Equal(content, buffer[CipherSuite.LabelHeaderRoom..]);
        buffer[^1] ^= (byte)(length > 0 ? 1 : 0);
        Assert.Equal(length == 0, suite.VerifyWithLabelInPlace(keys.PublicKey, "FramedContentTBS", buffer, CipherSuite.LabelHeaderRoom, signature));
    }

    [Fact]
    public void Signing_in_place_without_room_for_the_header_is_refused()
    {
        CipherSuite suite = CipherSuite.Get(1);
        SignatureKeyPair keys = suite.GenerateSignatureKeyPair();
        byte[] buffer = new byte[10 + 100];

        Assert.Throws<ArgumentException>(() => suite.SignWithLabelInPlace(keys.PrivateKey, "FramedContentTBS", buffer, 10));
    }

    private static byte[] Content(int length) => Enumerable.Range(0, length).Select(i => (byte)(i * 7)).ToArray();

    // struct { opaque label<V>; opaque content<V>; } SignContent (and EncryptContext, with context).
    private static byte[] SignContent(string label, byte[] content)
    {
        var w = new TlsWriter();
        w.WriteOpaque(System.Text.Encoding.ASCII.GetBytes("MLS 1.0 " + label));
        w.WriteOpaque(content);
        return w.ToArray();
    }

    // struct { uint16 length; opaque label<V>; opaque context<V>; } KDFLabel.
    private static byte[] KdfLabel(string label, byte[] context, int length)
    {
        var w = new TlsWriter();
        w.WriteUInt16((ushort)length);
        w.WriteOpaque(System.Text.Encoding.ASCII.GetBytes("MLS 1.0 " + label));
        w.WriteOpaque(context);
        return w.ToArray();
    }
}
