// RFC 9420 §5–§13 wire structures: for random values of each, decode(encode(x)) == x, encode(decode(b)) == b,
// no prefix or extension of an encoding decodes, and a decoder accepting altered bytes reads them canonically.
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Parley.Mls.Codec;
using Parley.Mls.Messages;
using Xunit;

namespace Parley.Mls.Tests.Properties;

public sealed class MessageCodecProperties
{
    private static Property RoundTrips<T>(Gen<T> gen, Func<TlsReader, T> decode) where T : class, IMlsEncodable
        => Prop.ForAll(Gen.Zip(gen, MlsGen.Mutation).ToArbitrary(),
            t => WireLaws.RoundTrip(t.Item1, x => x.ToBytes(), decode, t.Item2));

    [Property(MaxTest = 300)]
    public Property An_extension_round_trips() => RoundTrips(MlsGen.Extension, Extension.Decode);

    [Property(MaxTest = 300)]
    public Property An_extension_list_round_trips()
        => Prop.ForAll(Gen.Zip(MlsGen.Extensions, MlsGen.Mutation).ToArbitrary(), t =>
            WireLaws.RoundTrip(t.Item1, l => TlsWriter.Encode(w => Extension.WriteList(w, l)),
                r => (IReadOnlyList<Extension>)Extension.ReadList(r), t.Item2));

    [Property(MaxTest = 200)]
    public Property An_extension_list_repeating_a_type_is_refused()
        => Prop.ForAll(Gen.Zip(MlsGen.Extensions.Where(l => l.Count > 0), MlsGen.ShortBytes).ToArbitrary(), t =>
        {
            var (extensions, data) = t;
            var repeated = extensions.Append(new Extension(extensions[0].Type, data)).ToList();
            byte[] bytes = TlsWriter.Encode(w => Extension.WriteList(w, repeated));
            Assert.Throws<MlsDecodeException>(() => TlsReader.Decode(bytes, Extension.ReadList));
        });

    [Property(MaxTest = 300)]
    public Property Capabilities_round_trip() => RoundTrips(MlsGen.Capabilities, Capabilities.Decode);

    [Property(MaxTest = 300)]
    public Property A_lifetime_round_trips() => RoundTrips(MlsGen.Lifetime, Lifetime.Decode);

    [Property(MaxTest = 300)]
    public Property A_credential_round_trips() => RoundTrips(MlsGen.Credential, Credential.Decode);

    [Property(MaxTest = 300)]
    public Property A_sender_round_trips() => RoundTrips(MlsGen.Sender, Sender.Decode);

    [Property(MaxTest = 200)]
    public Property A_leaf_node_round_trips() => RoundTrips(MlsGen.LeafNode, LeafNode.Decode);

    [Property(MaxTest = 200)]
    public Property A_key_package_round_trips() => RoundTrips(MlsGen.KeyPackage, KeyPackage.Decode);

    [Property(MaxTest = 300)]
    public Property A_pre_shared_key_id_round_trips() => RoundTrips(MlsGen.PreSharedKeyId, PreSharedKeyId.Decode);

    [Property(MaxTest = 300)]
    public Property Every_kind_of_proposal_round_trips() => RoundTrips(MlsGen.Proposal, Proposal.Decode);

    [Property(MaxTest = 300)]
    public Property A_proposal_or_reference_round_trips() => RoundTrips(MlsGen.ProposalOrRef, ProposalOrRef.Decode);

    [Property(MaxTest = 200)]
    public Property A_commit_round_trips() => RoundTrips(MlsGen.Commit, Commit.Decode);

    [Property(MaxTest = 300)]
    public Property A_group_context_round_trips() => RoundTrips(MlsGen.GroupContext, GroupContext.Decode);

    [Property(MaxTest = 200)]
    public Property Framed_content_of_every_content_type_round_trips() => RoundTrips(MlsGen.FramedContent, FramedContent.Decode);

    [Property(MaxTest = 200)]
    public Property A_public_message_round_trips() => RoundTrips(MlsGen.PublicMessage, PublicMessage.Decode);

    [Property(MaxTest = 200)]
    public Property An_mls_message_carrying_a_public_message_or_key_package_round_trips()
        => RoundTrips(Gen.OneOf(MlsGen.PublicMessage.Select(m => new MlsMessage(m)), MlsGen.KeyPackage.Select(k => new MlsMessage(k))),
            MlsMessage.Decode);

    [Property(MaxTest = 200)]
    public Property A_private_message_round_trips() => RoundTrips(MlsGen.PrivateMessage, MlsMessage.Decode);

    [Property(MaxTest = 200)]
    public Property A_private_message_knows_its_encoded_length()
        => Prop.ForAll(MlsGen.PrivateMessage.ToArbitrary(), m => m.ToBytes().Length == m.EncodedLengthHint);

    [Theory]
    [InlineData(63)]
    [InlineData(64)]
    [InlineData(16_383)]
    [InlineData(16_384)]
    [InlineData(1 << 20)]
    public void A_private_message_of_any_size_knows_its_encoded_length(int ciphertextLength)
    {
        var message = new MlsMessage(new PrivateMessage([1, 2], 7, ContentType.Application, [], new byte[64], new byte[ciphertextLength]));

        byte[] encoded = message.ToBytes();

        Assert.Equal(encoded.Length, message.EncodedLengthHint);
        Assert.Equal(message, MlsMessage.Decode(encoded));
    }

    [Property(MaxTest = 200)]
    public Property A_welcome_round_trips() => RoundTrips(MlsGen.Welcome, Welcome.Decode);

    [Property(MaxTest = 200)]
    public Property A_group_info_round_trips() => RoundTrips(MlsGen.GroupInfo, GroupInfo.Decode);

    [Property(MaxTest = 200)]
    public Property Group_secrets_round_trip() => RoundTrips(MlsGen.GroupSecrets, GroupSecrets.Decode);

    [Property(MaxTest = 200)]
    public Property Required_capabilities_round_trip() => RoundTrips(MlsGen.RequiredCapabilities, RequiredCapabilities.Decode);

    [Property(MaxTest = 200)]
    public Property An_external_sender_round_trips() => RoundTrips(MlsGen.ExternalSender, ExternalSender.Decode);

    [Property(MaxTest = 200)]
    public Property A_ratchet_tree_node_round_trips() => RoundTrips(MlsGen.Node, Node.Decode);
}
