// RFC 9420 §6.1 (signing FramedContentTBS) and §6.2 (the membership tag): a signature verifies exactly for the
// wire format, content and (for member and new_member_commit senders) group context it was made over, and a
// membership tag exactly for the membership key, content and context it was computed with.
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Parley.Mls.Crypto;
using Parley.Mls.Messages;
using Parley.Mls.Tree;
using Xunit;

namespace Parley.Mls.Tests.Properties;

public sealed class FramingProperties
{
    private static readonly CipherSuite Suite = CipherSuite.Get(1);
    private static readonly SignatureKeyPair Key = Suite.GenerateSignatureKeyPair();
    private static readonly SignatureKeyPair OtherKey = Suite.GenerateSignatureKeyPair();

    private static readonly Gen<(FramedContent Content, GroupContext Context, WireFormat WireFormat)> Signed =
        from content in MlsGen.FramedContent
        from context in MlsGen.GroupContext
        from wireFormat in Gen.Elements(WireFormat.MlsPublicMessage, WireFormat.MlsPrivateMessage)
        select (content, context, wireFormat);

    [Property(MaxTest = 200)]
    public Property A_signature_verifies_only_over_what_was_signed()
        => Prop.ForAll(Signed.ToArbitrary(), t =>
        {
            var (content, context, wireFormat) = t;
            var signed = AuthenticatedContent.Sign(Suite, wireFormat, content, Key.PrivateKey, context);
            Assert.True(signed.Verify(Suite, Key.PublicKey, context));
            Assert.False(signed.Verify(Suite, OtherKey.PublicKey, context));

            var otherFormat = wireFormat == WireFormat.MlsPublicMessage ? WireFormat.MlsPrivateMessage : WireFormat.MlsPublicMessage;
            Assert.False((signed with { WireFormat = otherFormat }).Verify(Suite, Key.PublicKey, context));

            var otherEpoch = new FramedContent(content.GroupId, content.Epoch + 1, content.Sender, content.AuthenticatedData,
                content.ContentType, content.ApplicationData, content.Proposal, content.Commit);
            Assert.False((signed with { Content = otherEpoch }).Verify(Suite, Key.PublicKey, context));

            var otherSender = new FramedContent(content.GroupId, content.Epoch,
                content.Sender.Type == SenderType.Member ? Sender.Member(new LeafIndex(content.Sender.Index ^ 1)) : Sender.Member(new LeafIndex(0)),
                content.AuthenticatedData, content.ContentType, content.ApplicationData, content.Proposal, content.Commit);
            Assert.False((signed with { Content = otherSender }).Verify(Suite, Key.PublicKey, context));

            var otherData = new FramedContent(content.GroupId, content.Epoch, content.Sender, [.. content.AuthenticatedData, 0],
                content.ContentType, content.ApplicationData, content.Proposal, content.Commit);
            Assert.False((signed with { Content = otherData }).Verify(Suite, Key.PublicKey, context));

            // The group context is covered exactly for the senders that know it (§6.1).
            var otherContext = context with { Epoch = context.Epoch + 1 };
            Assert.Equal(!content.Sender.SignsGroupContext, signed.Verify(Suite, Key.PublicKey, otherContext));
        });

    [Property(MaxTest = 200)]
    public Property A_membership_tag_verifies_only_with_its_key_content_and_context()
        => Prop.ForAll((from t in Signed
                        from key in Gen.ArrayOf(MlsGen.Byte, Suite.HashLength)
                        from leaf in MlsGen.UInt32
                        select (t.Content, t.Context, key, leaf)).ToArbitrary(), t =>
        {
            var (framed, context, membershipKey, leaf) = t;
            var content = new FramedContent(framed.GroupId, framed.Epoch, Sender.Member(new LeafIndex(leaf)), framed.AuthenticatedData,
                framed.ContentType, framed.ApplicationData, framed.Proposal, framed.Commit);
            var signed = AuthenticatedContent.Sign(Suite, WireFormat.MlsPublicMessage, content, Key.PrivateKey, context);
            if (content.ContentType == ContentType.Commit)
            {
                signed = signed.WithConfirmationTag(new byte[Suite.HashLength]);
            }
            var message = PublicMessage.Create(signed, Suite, membershipKey, context);

            Assert.True(message.VerifyMembershipTag(Suite, membershipKey, context));
            byte[] otherKey = (byte[])membershipKey.Clone();
            otherKey[leaf % (uint)otherKey.Length] ^= 0x80;
            Assert.False(message.VerifyMembershipTag(Suite, otherKey, context));
            Assert.False(message.VerifyMembershipTag(Suite, membershipKey, context with { Epoch = context.Epoch + 1 }));
            Assert.False((message with { Auth = message.Auth with { Signature = [.. message.Auth.Signature, 0] } })
                .VerifyMembershipTag(Suite, membershipKey, context));
        });
}
