// RFC 9420 §6, §7, §10, §12: every wire structure of the "messages" interop vectors decodes and
// re-encodes to the same bytes.
using System.Text.Json;
using Parley.Mls.Codec;
using Parley.Mls.Messages;
using Parley.Mls.Tests.Vectors;
using Xunit;

namespace Parley.Mls.Tests.Messages;

public sealed class MessagesVectorTests
{
    public static IEnumerable<object[]> Entries() => VectorFile.Cases("messages");

    private static JsonElement Entry(int index) => VectorFile.Load("messages")[index];

    [Theory]
    [MemberData(nameof(Entries))]
    public void Every_structure_in_the_entry_decodes_and_reencodes_to_the_same_bytes(int index, ushort suite)
    {
        _ = suite;
        var entry = Entry(index);
        var failures = new List<string>();

        void Check<T>(string field, Func<TlsReader, T> decode, Action<TlsWriter, T> encode)
        {
            byte[] bytes = entry.Hex(field);
            try
            {
                T value = TlsReader.Decode(bytes, decode);
                byte[] again = TlsWriter.Encode(w => encode(w, value));
                if (!again.AsSpan().SequenceEqual(bytes))
                {
                    failures.Add($"{field}: re-encoding differs");
                }
            }
            catch (MlsException e)
            {
                failures.Add($"{field}: {e.Message}");
            }
        }

        static void Write(TlsWriter w, IMlsEncodable x) => x.Encode(w);

        Check("mls_welcome", MlsMessage.Decode, Write);
        Check("mls_group_info", MlsMessage.Decode, Write);
        Check("mls_key_package", MlsMessage.Decode, Write);
        Check("ratchet_tree", RatchetTreeExtension.Decode, RatchetTreeExtension.Encode);
        Check("group_secrets", GroupSecrets.Decode, Write);
        Check("add_proposal", Add.DecodeBody, (w, p) => p.EncodeBody(w));
        Check("update_proposal", Update.DecodeBody, (w, p) => p.EncodeBody(w));
        Check("remove_proposal", Remove.DecodeBody, (w, p) => p.EncodeBody(w));
        Check("pre_shared_key_proposal", PreSharedKey.DecodeBody, (w, p) => p.EncodeBody(w));
        Check("re_init_proposal", ReInit.DecodeBody, (w, p) => p.EncodeBody(w));
        Check("external_init_proposal", ExternalInit.DecodeBody, (w, p) => p.EncodeBody(w));
        Check("group_context_extensions_proposal", GroupContextExtensions.DecodeBody, (w, p) => p.EncodeBody(w));
        Check("commit", Commit.Decode, Write);
        Check("public_message_application", MlsMessage.Decode, Write);
        Check("public_message_proposal", MlsMessage.Decode, Write);
        Check("public_message_commit", MlsMessage.Decode, Write);
        Check("private_message", MlsMessage.Decode, Write);

        Assert.Empty(failures);
    }

    [Theory]
    [MemberData(nameof(Entries))]
    public void Each_message_has_the_wire_format_and_content_type_its_field_names(int index, ushort suite)
    {
        _ = suite;
        var entry = Entry(index);
        MlsMessage Message(string field) => MlsMessage.Decode(entry.Hex(field));

        Assert.NotNull(Message("mls_welcome").Welcome);
        Assert.NotNull(Message("mls_group_info").GroupInfo);
        Assert.NotNull(Message("mls_key_package").KeyPackage);
        Assert.Equal(ContentType.Application, Message("public_message_application").PublicMessage!.Content.ContentType);
        Assert.Equal(ContentType.Proposal, Message("public_message_proposal").PublicMessage!.Content.ContentType);
        Assert.Equal(ContentType.Commit, Message("public_message_commit").PublicMessage!.Content.ContentType);
        Assert.Equal(WireFormat.MlsPrivateMessage, Message("private_message").WireFormat);
    }

    [Theory]
    [MemberData(nameof(Entries))]
    public void Decoded_structures_equal_themselves_decoded_again(int index, ushort suite)
    {
        _ = suite;
        var entry = Entry(index);
        foreach (string field in new[] { "mls_welcome", "mls_group_info", "mls_key_package", "public_message_commit", "private_message" })
        {
            byte[] bytes = entry.Hex(field);
            Assert.Equal(MlsMessage.Decode(bytes), MlsMessage.Decode(bytes.ToArray()));
        }
        byte[] commit = entry.Hex("commit");
        Assert.Equal(TlsReader.Decode(commit, Commit.Decode), TlsReader.Decode(commit.ToArray(), Commit.Decode));
        byte[] tree = entry.Hex("ratchet_tree");
        Assert.Equal(RatchetTreeExtension.Decode(tree), RatchetTreeExtension.Decode(tree.ToArray()));
    }
}
