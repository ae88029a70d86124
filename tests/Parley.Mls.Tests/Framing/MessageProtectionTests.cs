// RFC 9420 §6.2 and §6.3: rejection of tampered, misdirected and replayed messages. Every failure
// must leave the receiver's key state as the genuine message needs it.
using System.Security.Cryptography;
using System.Text;
using Parley.Mls.Codec;
using Parley.Mls.Crypto;
using Parley.Mls.Framing;
using Parley.Mls.KeySchedule;
using Parley.Mls.Messages;
using Parley.Mls.Tree;
using Xunit;

namespace Parley.Mls.Tests.Framing;

public sealed class MessageProtectionTests
{
    public static IEnumerable<object[]> Suites() => CipherSuite.Supported.Select(id => new object[] { id });

    [Theory]
    [MemberData(nameof(Suites))]
    public void Tampered_ciphertext_is_rejected_and_the_genuine_message_still_decrypts(ushort suiteId)
    {
        using var group = new TwoMemberGroup(suiteId);
        var genuine = group.SendApplication("hello");
        byte[] ciphertext = (byte[])genuine.Ciphertext.Clone();
        ciphertext[^1] ^= 0x01; // past the sender data sample: the sender data still decrypts

        MlsAssert.Fails(MlsError.ContentUndecryptable, () => group.Receive(genuine with { Ciphertext = ciphertext }));

        Assert.Equal("hello", group.ReceiveText(genuine));
        Assert.Equal("next", group.ReceiveText(group.SendApplication("next")));
    }

    [Theory]
    [MemberData(nameof(Suites))]
    public void Ciphertext_tampered_inside_the_sender_data_sample_is_rejected_and_the_genuine_message_still_decrypts(ushort suiteId)
    {
        using var group = new TwoMemberGroup(suiteId);
        var genuine = group.SendApplication("hello");
        byte[] ciphertext = (byte[])genuine.Ciphertext.Clone();
        ciphertext[0] ^= 0x80;

        MlsAssert.Fails(MlsError.SenderDataUndecryptable, () => group.Receive(genuine with { Ciphertext = ciphertext }));

        Assert.Equal("hello", group.ReceiveText(genuine));
    }

    [Theory]
    [MemberData(nameof(Suites))]
    public void Tampered_sender_data_is_rejected_and_the_genuine_message_still_decrypts(ushort suiteId)
    {
        using var group = new TwoMemberGroup(suiteId);
        var genuine = group.SendApplication("hello");
        byte[] senderData = (byte[])genuine.EncryptedSenderData.Clone();
        senderData[0] ^= 0x01;

        MlsAssert.Fails(MlsError.SenderDataUndecryptable, () => group.Receive(genuine with { EncryptedSenderData = senderData }));

        Assert.Equal("hello", group.ReceiveText(genuine));
    }

    [Fact]
    public void Tampered_authenticated_data_is_rejected_and_the_genuine_message_still_decrypts()
    {
        using var group = new TwoMemberGroup(1);
        var genuine = group.SendApplication("hello", authenticatedData: [1, 2, 3]);

        MlsAssert.Fails(MlsError.ContentUndecryptable, () => group.Receive(genuine with { AuthenticatedData = [1, 2, 4] }));

        var received = group.Receive(genuine);
        Assert.Equal(new byte[] { 1, 2, 3 }, received.Content.Content.AuthenticatedData);
    }

    [Fact]
    public void Private_message_for_another_epoch_is_rejected_and_a_current_message_still_decrypts()
    {
        using var group = new TwoMemberGroup(1);
        var genuine = group.SendApplication("hello");

        MlsAssert.Fails(MlsError.WrongEpoch, () => group.Receive(genuine with { Epoch = genuine.Epoch + 1 }));

        Assert.Equal("hello", group.ReceiveText(genuine));
    }

    [Fact]
    public void Private_message_for_another_group_is_rejected_and_a_current_message_still_decrypts()
    {
        using var group = new TwoMemberGroup(1);
        var genuine = group.SendApplication("hello");
        byte[] otherGroup = (byte[])genuine.GroupId.Clone();
        otherGroup[0] ^= 0x01;

        MlsAssert.Fails(MlsError.WrongGroup, () => group.Receive(genuine with { GroupId = otherGroup }));

        Assert.Equal("hello", group.ReceiveText(genuine));
    }

    [Theory]
    [MemberData(nameof(Suites))]
    public void Replayed_private_message_is_rejected_and_the_next_message_still_decrypts(ushort suiteId)
    {
        using var group = new TwoMemberGroup(suiteId);
        var first = group.SendApplication("first");
        Assert.Equal("first", group.ReceiveText(first));

        MlsAssert.Fails(MlsError.GenerationUnavailable, () => group.Receive(first));

        Assert.Equal("second", group.ReceiveText(group.SendApplication("second")));
    }

    [Fact]
    public void Messages_delivered_out_of_order_decrypt()
    {
        using var group = new TwoMemberGroup(1);
        var first = group.SendApplication("first");
        var second = group.SendApplication("second");
        var third = group.SendApplication("third");

        Assert.Equal("third", group.ReceiveText(third));
        Assert.Equal("first", group.ReceiveText(first));
        Assert.Equal("second", group.ReceiveText(second));
        Assert.Equal(3u, group.Receive(group.SendApplication("fourth")).Generation);
    }

    [Fact]
    public void Handshake_and_application_messages_use_separate_ratchets()
    {
        using var group = new TwoMemberGroup(1);
        var application = group.SendApplication("hello");
        var proposal = group.SendPrivate(group.Frame(ContentType.Proposal, []));

        var receivedProposal = group.Receive(proposal);
        var receivedApplication = group.Receive(application);

        Assert.Equal(0u, receivedProposal.Generation);
        Assert.Equal(0u, receivedApplication.Generation);
        Assert.Equal(ContentType.Proposal, receivedProposal.Content.Content.ContentType);
    }

    [Fact]
    public void Sender_rejected_by_the_membership_check_consumes_no_key()
    {
        using var group = new TwoMemberGroup(1);
        var genuine = group.SendApplication("hello");

        MlsAssert.Fails(MlsError.SenderNotMember, () => group.Receive(genuine, isMember: _ => false));

        Assert.Equal("hello", group.ReceiveText(genuine));
    }

    [Theory]
    [MemberData(nameof(Suites))]
    public void A_forged_message_claiming_generation_plus_1000_does_not_evict_retained_skipped_keys(ushort suiteId)
    {
        using var group = new TwoMemberGroup(suiteId);
        var first = group.SendApplication("first");
        var second = group.SendApplication("second");
        Assert.Equal("third", group.ReceiveText(group.SendApplication("third"))); // retains generations 0 and 1
        byte[] before = group.EncodeReceiverTree();

        var forged = group.Forge(generation: 3 + 1000);
        MlsAssert.Fails(MlsError.ContentUndecryptable, () => group.Receive(forged));

        Assert.Equal(before, group.EncodeReceiverTree());
        Assert.Equal("first", group.ReceiveText(first));
        Assert.Equal("second", group.ReceiveText(second));
        Assert.Equal("fourth", group.ReceiveText(group.SendApplication("fourth")));
    }

    [Fact]
    public void Forged_messages_leave_the_receivers_secret_tree_unchanged()
    {
        using var group = new TwoMemberGroup(1);
        var late = group.SendApplication("late");
        Assert.Equal("on time", group.ReceiveText(group.SendApplication("on time")));
        byte[] before = group.EncodeReceiverTree();

        // The retained generation, the next one, one far ahead and one from a ratchet never used (tried without
        // using up their keys), and the used generation, whose key is gone.
        foreach (var (forged, code) in new[]
                 {
                     (group.Forge(0), MlsError.ContentUndecryptable), (group.Forge(2), MlsError.ContentUndecryptable),
                     (group.Forge(SecretTree.MaxForwardDistance), MlsError.ContentUndecryptable),
                     (group.Forge(0, ContentType.Proposal), MlsError.ContentUndecryptable),
                     (group.Forge(1, ciphertextLength: 3), MlsError.GenerationUnavailable),
                 })
        {
            MlsAssert.Fails(code, () => group.Receive(forged));
            Assert.Equal(before, group.EncodeReceiverTree());
        }
        Assert.Equal("late", group.ReceiveText(late));
    }

    [Fact]
    public void Tampered_copy_of_a_late_message_does_not_consume_its_retained_key()
    {
        using var group = new TwoMemberGroup(1);
        var late = group.SendApplication("late");
        Assert.Equal("on time", group.ReceiveText(group.SendApplication("on time")));
        byte[] ciphertext = (byte[])late.Ciphertext.Clone();
        ciphertext[^1] ^= 0x01;

        MlsAssert.Fails(MlsError.ContentUndecryptable, () => group.Receive(late with { Ciphertext = ciphertext }));

        Assert.Equal("late", group.ReceiveText(late));
        MlsAssert.Fails(MlsError.GenerationUnavailable, () => group.Receive(late));
    }

    [Fact]
    public void Sender_leaf_outside_the_tree_is_rejected()
    {
        using var group = new TwoMemberGroup(1);
        var forged = group.Craft(plaintextSuffix: [], senderLeaf: 7);

        MlsAssert.Fails(MlsError.SenderNotMember, () => group.Receive(forged));
    }

    [Fact]
    public void Non_zero_padding_is_rejected()
    {
        using var group = new TwoMemberGroup(1);
        var forged = group.Craft(plaintextSuffix: [0, 0, 1, 0]);

        MlsAssert.Fails(MlsError.PaddingNonZero, () => group.Receive(forged));
    }

    [Fact]
    public void Zero_padding_added_by_another_sender_is_accepted()
    {
        using var group = new TwoMemberGroup(1);
        var padded = group.Craft(plaintextSuffix: new byte[1000]);

        Assert.Equal("crafted", Encoding.UTF8.GetString(group.Receive(padded).Content.Content.ApplicationData!));
    }

    [Fact]
    public void Sender_data_that_does_not_decode_is_a_decode_error()
    {
        using var group = new TwoMemberGroup(1);
        var forged = group.Craft(plaintextSuffix: [], senderDataLength: 9);

        Assert.Throws<MlsDecodeException>(() => group.Receive(forged));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(64)]
    [InlineData(1024)]
    public void Padding_policy_pads_the_plaintext_to_a_multiple_of_the_block_size(int blockSize)
    {
        using var group = new TwoMemberGroup(1);
        var content = group.Sign(group.Frame(ContentType.Application, Encoding.UTF8.GetBytes("hello")), WireFormat.MlsPrivateMessage);

        var message = MessageProtection.ProtectPrivate(group.Suite, content, group.SenderTree, group.SenderDataSecret,
            PaddingPolicy.ToMultipleOf(blockSize));

        Assert.Equal(0, (message.Ciphertext.Length - 16) % blockSize);
        Assert.Equal(content, group.Receive(message).Content);
    }

    [Fact]
    public void Padding_policy_none_adds_nothing()
    {
        Assert.Equal(0, PaddingPolicy.None.PaddingFor(123));
        Assert.Equal(5, PaddingPolicy.ToMultipleOf(8).PaddingFor(123));
        Assert.Equal(0, PaddingPolicy.ToMultipleOf(8).PaddingFor(128));
    }

    [Theory]
    [InlineData(0, 0)]
    [InlineData(1, 1)]
    [InlineData(9, 10)]
    [InlineData(4097, 4352)]
    [InlineData(1_000_000, 1_015_808)]
    [InlineData(65_536, 65_536)]
    public void Padme_keeps_only_the_top_bits_of_the_length(long length, long padded)
    {
        Assert.Equal(padded, PaddingPolicy.PadmeLength(length));
    }

    [Fact]
    public void Padme_overhead_stays_under_twelve_percent_and_never_shrinks()
    {
        for (long length = 2; length < 3_000_000; length = length * 5 / 4 + 7)
        {
            long padded = PaddingPolicy.PadmeLength(length);
            Assert.InRange(padded, length, length + length * 12 / 100 + 1);
        }
    }

    [Fact]
    public void Bucketed_padding_makes_short_contents_one_size_and_uses_padme_above_the_step_limit()
    {
        var buckets = PaddingPolicy.Buckets(256, 4096);

        Assert.Equal(256, 1 + buckets.PaddingFor(1));
        Assert.Equal(256, 200 + buckets.PaddingFor(200));
        Assert.Equal(512, 257 + buckets.PaddingFor(257));
        Assert.Equal(4096, 4000 + buckets.PaddingFor(4000));
        Assert.Equal(4352, 4097 + buckets.PaddingFor(4097));
    }

    [Fact]
    public void Bucketed_padding_hides_the_length_of_short_application_messages_on_the_wire()
    {
        using var group = new TwoMemberGroup(1);
        int[] lengths = [1, 17, 60, 150];
        var sizes = lengths.Select(length =>
        {
            var content = group.Sign(group.Frame(ContentType.Application, new byte[length]), WireFormat.MlsPrivateMessage);
            var message = MessageProtection.ProtectPrivate(group.Suite, content, group.SenderTree, group.SenderDataSecret,
                PaddingPolicy.Buckets(256, 4096));
            Assert.Equal(content, group.Receive(message).Content);
            return message.Ciphertext.Length;
        }).ToArray();

        Assert.Single(sizes.Distinct());
    }

    [Fact]
    public void Large_application_message_round_trips()
    {
        using var group = new TwoMemberGroup(1);
        byte[] data = RandomNumberGenerator.GetBytes(1 << 20);
        var content = group.Sign(group.Frame(ContentType.Application, data), WireFormat.MlsPrivateMessage);

        var received = group.Receive(MessageProtection.ProtectPrivate(group.Suite, content, group.SenderTree, group.SenderDataSecret));

        Assert.Equal(data, received.Content.Content.ApplicationData);
        MessageProtection.VerifySignature(group.Suite, received.Content, group.Signature.PublicKey, group.Context);
    }

    [Fact]
    public void Bad_signature_is_rejected()
    {
        using var group = new TwoMemberGroup(1);
        var received = group.Receive(group.SendApplication("hello"));
        var other = group.Suite.GenerateSignatureKeyPair();

        MlsAssert.Fails(MlsError.SignatureInvalid,
            () => MessageProtection.VerifySignature(group.Suite, received.Content, other.PublicKey, group.Context));
    }

    [Fact]
    public void Content_signed_for_one_wire_format_does_not_verify_as_the_other()
    {
        using var group = new TwoMemberGroup(1);
        var received = group.Receive(group.SendApplication("hello"));
        var relabelled = received.Content with { WireFormat = WireFormat.MlsPublicMessage };

        MlsAssert.Fails(MlsError.SignatureInvalid,
            () => MessageProtection.VerifySignature(group.Suite, relabelled, group.Signature.PublicKey, group.Context));
    }

    [Theory]
    [MemberData(nameof(Suites))]
    public void Bad_membership_tag_is_rejected_and_the_genuine_public_message_still_unprotects(ushort suiteId)
    {
        using var group = new TwoMemberGroup(suiteId);
        var genuine = group.SendPublicProposal();
        byte[] tag = (byte[])genuine.MembershipTag!.Clone();
        tag[0] ^= 0x01;

        MlsAssert.Fails(MlsError.MembershipTagInvalid, () => group.ReceivePublic(genuine with { MembershipTag = tag }));

        var content = group.ReceivePublic(genuine);
        MessageProtection.VerifySignature(group.Suite, content, group.Signature.PublicKey, group.Context);
    }

    [Fact]
    public void Public_message_with_a_wrong_membership_key_is_rejected()
    {
        using var group = new TwoMemberGroup(1);
        var message = group.SendPublicProposal();

        MlsAssert.Fails(MlsError.MembershipTagInvalid, () => MessageProtection.UnprotectPublic(
            group.Suite, message, group.Context, new byte[group.MembershipKey.Length]));
    }

    [Fact]
    public void Public_message_for_another_epoch_or_group_is_rejected()
    {
        using var group = new TwoMemberGroup(1);
        var message = group.SendPublicProposal();
        var content = message.Content;
        var otherEpoch = message with { Content = new FramedContent(content.GroupId, content.Epoch + 1, content.Sender,
            content.AuthenticatedData, content.ContentType, null, content.Proposal, null) };
        var otherGroup = message with { Content = new FramedContent([9, 9], content.Epoch, content.Sender,
            content.AuthenticatedData, content.ContentType, null, content.Proposal, null) };

        MlsAssert.Fails(MlsError.WrongEpoch, () => group.ReceivePublic(otherEpoch));
        MlsAssert.Fails(MlsError.WrongGroup, () => group.ReceivePublic(otherGroup));
        group.ReceivePublic(message);
    }

    [Fact]
    public void Public_message_from_a_leaf_that_is_not_a_member_is_rejected()
    {
        using var group = new TwoMemberGroup(1);
        var message = group.SendPublicProposal();

        MlsAssert.Fails(MlsError.SenderNotMember, () => MessageProtection.UnprotectPublic(
            group.Suite, message, group.Context, group.MembershipKey, _ => false));
    }

    [Fact]
    public void Application_data_in_a_public_message_is_rejected()
    {
        using var group = new TwoMemberGroup(1);
        var framed = group.Frame(ContentType.Application, [1, 2, 3]);
        // Build it below the framing layer, which refuses to.
        var signed = AuthenticatedContent.Sign(group.Suite, WireFormat.MlsPublicMessage, framed, group.Signature.PrivateKey, group.Context);
        var message = PublicMessage.Create(signed, group.Suite, group.MembershipKey, group.Context);

        MlsAssert.Fails(MlsError.PublicApplicationData, () => group.ReceivePublic(message));
    }

    [Fact]
    public void External_sender_proposal_has_no_membership_tag_and_unprotects()
    {
        using var group = new TwoMemberGroup(1);
        var framed = FramedContent.ForProposal(group.Context.GroupId, group.Context.Epoch, Sender.External(0), [], RemoveLeaf0());
        var external = group.Suite.GenerateSignatureKeyPair();
        var signed = MessageProtection.Sign(group.Suite, WireFormat.MlsPublicMessage, framed, external.PrivateKey, null);

        var message = MessageProtection.ProtectPublic(group.Suite, signed, group.Context, group.MembershipKey);
        Assert.Null(message.MembershipTag);

        var content = group.ReceivePublic(MlsMessage.Decode(new MlsMessage(message).ToBytes()).PublicMessage!);
        MessageProtection.VerifySignature(group.Suite, content, external.PublicKey, null);
    }

    [Fact]
    public void Protecting_rejects_content_of_the_wrong_shape()
    {
        using var group = new TwoMemberGroup(1);
        var proposal = group.Frame(ContentType.Proposal, []);
        var signedPublic = group.Sign(proposal, WireFormat.MlsPublicMessage);
        var signedPrivate = group.Sign(proposal, WireFormat.MlsPrivateMessage);
        var commit = group.Sign(group.Frame(ContentType.Commit, []), WireFormat.MlsPrivateMessage);
        var externalPrivate = FramedContent.ForProposal(group.Context.GroupId, group.Context.Epoch, Sender.External(0), [], RemoveLeaf0());

        Assert.Throws<ArgumentException>(() => MessageProtection.ProtectPrivate(group.Suite, signedPublic, group.SenderTree, group.SenderDataSecret));
        Assert.Throws<ArgumentException>(() => MessageProtection.ProtectPublic(group.Suite, signedPrivate, group.Context, group.MembershipKey));
        Assert.Throws<ArgumentException>(() => MessageProtection.ProtectPrivate(group.Suite, commit, group.SenderTree, group.SenderDataSecret));
        Assert.Throws<ArgumentException>(() => MessageProtection.Sign(
            group.Suite, WireFormat.MlsPrivateMessage, externalPrivate, group.Signature.PrivateKey, null));
    }

    [Fact]
    public void Exception_messages_do_not_reveal_plaintext()
    {
        using var group = new TwoMemberGroup(1);
        var forged = group.Craft(plaintextSuffix: [7]);

        var error = MlsAssert.Fails(MlsError.PaddingNonZero, () => group.Receive(forged));
        Assert.DoesNotContain("crafted", error.Message);
        Assert.DoesNotContain(Convert.ToHexString(Encoding.UTF8.GetBytes("crafted")), error.Message, StringComparison.OrdinalIgnoreCase);
    }

    private static Proposal RemoveLeaf0() => TlsReader.Decode(new byte[] { 0, 3, 0, 0, 0, 0 }, Proposal.Decode);

    /// <summary>A sender (leaf 1) and a receiver of a two-leaf group sharing one epoch's secrets.</summary>
    private sealed class TwoMemberGroup : IDisposable
    {
        private static readonly LeafIndex SenderLeaf = new(1);

        public TwoMemberGroup(ushort suiteId)
        {
            Suite = CipherSuite.Get(suiteId);
            Context = new GroupContext(suiteId, RandomNumberGenerator.GetBytes(16), 42,
                RandomNumberGenerator.GetBytes(Suite.HashLength), RandomNumberGenerator.GetBytes(Suite.HashLength), []);
            Signature = Suite.GenerateSignatureKeyPair();
            byte[] encryptionSecret = RandomNumberGenerator.GetBytes(Suite.HashLength);
            SenderDataSecret = RandomNumberGenerator.GetBytes(Suite.HashLength);
            MembershipKey = RandomNumberGenerator.GetBytes(Suite.HashLength);
            SenderTree = new SecretTree(Suite, encryptionSecret, 2);
            ReceiverTree = new SecretTree(Suite, encryptionSecret, 2);
        }

        public CipherSuite Suite { get; }

        public GroupContext Context { get; }

        public SignatureKeyPair Signature { get; }

        public byte[] SenderDataSecret { get; }

        public byte[] MembershipKey { get; }

        public SecretTree SenderTree { get; }

        public SecretTree ReceiverTree { get; }

        public FramedContent Frame(ContentType type, byte[] applicationData, byte[]? authenticatedData = null)
            => type switch
            {
                ContentType.Application => FramedContent.ForApplication(Context.GroupId, Context.Epoch, Sender.Member(SenderLeaf),
                    authenticatedData ?? [], applicationData),
                ContentType.Proposal => FramedContent.ForProposal(Context.GroupId, Context.Epoch, Sender.Member(SenderLeaf),
                    authenticatedData ?? [], RemoveLeaf0()),
                _ => FramedContent.ForCommit(Context.GroupId, Context.Epoch, Sender.Member(SenderLeaf),
                    authenticatedData ?? [], TlsReader.Decode(new byte[] { 0, 0 }, Commit.Decode)),
            };

        public AuthenticatedContent Sign(FramedContent content, WireFormat wireFormat)
            => MessageProtection.Sign(Suite, wireFormat, content, Signature.PrivateKey, Context);

        public PrivateMessage SendPrivate(FramedContent content)
            => MessageProtection.ProtectPrivate(Suite, Sign(content, WireFormat.MlsPrivateMessage), SenderTree, SenderDataSecret);

        public PrivateMessage SendApplication(string text, byte[]? authenticatedData = null)
            => SendPrivate(Frame(ContentType.Application, Encoding.UTF8.GetBytes(text), authenticatedData));

        public PublicMessage SendPublicProposal()
            => MessageProtection.ProtectPublic(Suite, Sign(Frame(ContentType.Proposal, []), WireFormat.MlsPublicMessage), Context, MembershipKey);

        public UnprotectedPrivateMessage Receive(PrivateMessage message, Func<LeafIndex, bool>? isMember = null)
            => MessageProtection.UnprotectPrivate(Suite, message, Context, ReceiverTree, SenderDataSecret, isMember ?? (l => l.Value < 2));

        public string ReceiveText(PrivateMessage message)
        {
            var received = Receive(message);
            MessageProtection.VerifySignature(Suite, received.Content, Signature.PublicKey, Context);
            return Encoding.UTF8.GetString(received.Content.Content.ApplicationData!);
        }

        public AuthenticatedContent ReceivePublic(PublicMessage message)
            => MessageProtection.UnprotectPublic(Suite, message, Context, MembershipKey, l => l.Value < 2);

        /// <summary>Encrypts an application message by hand, with <paramref name="plaintextSuffix"/> after the
        /// auth data (where padding goes), a chosen sender leaf and a chosen sender data length.</summary>
        public PrivateMessage Craft(byte[] plaintextSuffix, uint senderLeaf = 1, int senderDataLength = 12)
        {
            var content = Sign(Frame(ContentType.Application, Encoding.UTF8.GetBytes("crafted")), WireFormat.MlsPrivateMessage);
            var plaintext = new TlsWriter();
            plaintext.WriteOpaque(content.Content.ApplicationData);
            content.Auth.Encode(plaintext);
            plaintext.WriteBytes(plaintextSuffix);

            using var key = SenderTree.NextForSending(SenderLeaf, RatchetType.Application);
            byte[] guard = RandomNumberGenerator.GetBytes(4);
            byte[] nonce = key.Nonce.ToArray();
            for (int i = 0; i < 4; i++)
            {
                nonce[i] ^= guard[i];
            }
            byte[] aad = new PrivateContentAad(Context.GroupId, Context.Epoch, ContentType.Application, []).ToBytes();
            byte[] ciphertext = Suite.AeadSeal(key.Key, nonce, aad, plaintext.WrittenSpan);

            byte[] senderData = new SenderData(new LeafIndex(senderLeaf), key.Generation, guard).ToBytes();
            Array.Resize(ref senderData, senderDataLength);
            var (sdKey, sdNonce) = SenderDataKeys.Derive(Suite, SenderDataSecret, ciphertext);
            byte[] sdAad = new SenderDataAad(Context.GroupId, Context.Epoch, ContentType.Application).ToBytes();
            byte[] encryptedSenderData = Suite.AeadSeal(sdKey, sdNonce, sdAad, senderData);
            return new PrivateMessage(Context.GroupId, Context.Epoch, ContentType.Application, [], encryptedSenderData, ciphertext);
        }

        /// <summary>A message whose sender data (leaf 1, <paramref name="generation"/>) is genuine but whose
        /// content ciphertext is random: what a member who knows the sender data secret can forge.</summary>
        public PrivateMessage Forge(uint generation, ContentType type = ContentType.Application, int ciphertextLength = 64)
        {
            byte[] ciphertext = RandomNumberGenerator.GetBytes(ciphertextLength);
            byte[] senderData = new SenderData(SenderLeaf, generation, RandomNumberGenerator.GetBytes(4)).ToBytes();
            var (sdKey, sdNonce) = SenderDataKeys.Derive(Suite, SenderDataSecret, ciphertext);
            byte[] sdAad = new SenderDataAad(Context.GroupId, Context.Epoch, type).ToBytes();
            byte[] encryptedSenderData = Suite.AeadSeal(sdKey, sdNonce, sdAad, senderData);
            return new PrivateMessage(Context.GroupId, Context.Epoch, type, [], encryptedSenderData, ciphertext);
        }

        public byte[] EncodeReceiverTree()
        {
            var writer = new TlsWriter();
            ReceiverTree.Encode(writer);
            byte[] bytes = writer.ToArray();
            writer.Clear();
            return bytes;
        }

        public void Dispose()
        {
            SenderTree.Dispose();
            ReceiverTree.Dispose();
        }
    }
}
