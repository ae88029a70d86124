using Parley.Content;
using System.Text;
using Parley.Client.Attachments;
using Parley.Client.Conversations;
using Parley.Client.Messages;
using Parley.Client.Storage;
using Xunit;

namespace Parley.Client.Tests;

public sealed class EnvelopeApplicationTests : IDisposable
{
    private readonly TempStore _temp = new();
    private readonly ClientStore _store;
    private readonly Conversation _conversation;

    public EnvelopeApplicationTests()
    {
        _store = _temp.Create();
        _conversation = StoreData.NewConversation(_store.Time);
        StoreData.Save(_store, _conversation);
    }

    public void Dispose()
    {
        _store.Dispose();
        _temp.Dispose();
    }

    [Fact]
    public void The_sender_can_edit_and_the_latest_edit_wins()
    {
        StoreData.Receive(_store, _conversation.Id, new TextContent("helo"), "m1");
        var edit = StoreData.Receive(_store, _conversation.Id, new EditContent("m1", "hello"));
        Assert.Equal(EnvelopeResult.Updated, edit.Result);
        Assert.Equal("hello", Message("m1").Text);
        Assert.Equal("hello", Message("m1").State.EditedText);
        Assert.Equal("helo", Assert.IsType<TextContent>(Message("m1").Content).Text);

        // An older edit arriving late does not overwrite a newer one.
        var stale = StoreData.Envelope(new EditContent("m1", "stale"), _store.Time) with { SentAt = _temp.Clock.Now.AddMinutes(-5) };
        using (var transaction = _store.BeginTransaction())
        {
            transaction.ApplyEnvelope(_conversation.Id, stale, stale.Encode(), "bb", "bob", false, DeliveryStatus.Received);
            transaction.Commit();
        }
        Assert.Equal("hello", Message("m1").Text);
    }

    [Fact]
    public void Another_account_cannot_edit_or_delete_a_message()
    {
        StoreData.Receive(_store, _conversation.Id, new TextContent("mine"), "m1");
        var edit = StoreData.Receive(_store, _conversation.Id, new EditContent("m1", "hijacked"), sender: "mallory", device: "mm");
        var delete = StoreData.Receive(_store, _conversation.Id, new DeleteContent("m1"), sender: "mallory", device: "mm");
        Assert.Equal(EnvelopeResult.Rejected, edit.Result);
        Assert.Equal(EnvelopeResult.Rejected, delete.Result);
        Assert.Equal("mine", Message("m1").Text);

        // Another device of the same account may.
        Assert.Equal(EnvelopeResult.Updated, StoreData.Receive(_store, _conversation.Id, new EditContent("m1", "ours"), device: "b2").Result);
        Assert.Equal("ours", Message("m1").Text);
    }

    [Fact]
    public void Delete_for_everyone_removes_the_content_from_the_store()
    {
        StoreData.Receive(_store, _conversation.Id, new TextContent("regrettable sentence"), "m1");
        StoreData.Receive(_store, _conversation.Id, new ReactionContent("m1", "😮"), sender: "carol", device: "cc");
        var delete = StoreData.Receive(_store, _conversation.Id, new DeleteContent("m1"));
        Assert.Equal(EnvelopeResult.Updated, delete.Result);

        var message = Message("m1");
        Assert.True(message.State.Deleted);
        Assert.Null(message.Content);
        Assert.Null(message.Text);
        Assert.Empty(message.State.Reactions);
        Assert.Equal(EnvelopeResult.Updated, StoreData.Receive(_store, _conversation.Id, new EditContent("m1", "again")).Result);
        Assert.Null(Message("m1").Text);
    }

    [Fact]
    public void Reactions_are_added_and_removed_per_account_and_emoji()
    {
        StoreData.Send(_store, _conversation.Id, new TextContent("party?"), "m1");
        StoreData.Receive(_store, _conversation.Id, new ReactionContent("m1", "🎉"));
        StoreData.Receive(_store, _conversation.Id, new ReactionContent("m1", "🎉"));
        StoreData.Receive(_store, _conversation.Id, new ReactionContent("m1", "👍"));
        StoreData.Receive(_store, _conversation.Id, new ReactionContent("m1", "🎉"), sender: "carol", device: "cc");
        Assert.Equal(["bob 🎉", "bob 👍", "carol 🎉"], Message("m1").State.Reactions.Select(r => r.Reactor + " " + r.Emoji).Order());

        StoreData.Receive(_store, _conversation.Id, new ReactionContent("m1", "🎉", Remove: true));
        Assert.Equal(["bob 👍", "carol 🎉"], Message("m1").State.Reactions.Select(r => r.Reactor + " " + r.Emoji).Order());
    }

    [Fact]
    public void Receipts_record_delivery_and_reading_per_recipient()
    {
        StoreData.Send(_store, _conversation.Id, new TextContent("one"), "m1");
        StoreData.Send(_store, _conversation.Id, new TextContent("two"), "m2");
        var delivered = StoreData.Receive(_store, _conversation.Id, new DeliveryReceiptContent(["m1", "m2"]));
        Assert.Equal(2, delivered.Messages.Count);
        _temp.Clock.Advance(TimeSpan.FromMinutes(1));
        StoreData.Receive(_store, _conversation.Id, new ReadReceiptContent(["m1"]));
        StoreData.Receive(_store, _conversation.Id, new ReadReceiptContent(["m1"]), sender: "carol", device: "cc");

        var receipts = Message("m1").State.Receipts.OrderBy(r => r.Recipient).ToList();
        Assert.Equal("bob", receipts[0].Recipient);
        Assert.Equal(_temp.Clock.Now.AddMinutes(-1), receipts[0].DeliveredAt);
        Assert.Equal(_temp.Clock.Now, receipts[0].ReadAt);
        Assert.Equal("carol", receipts[1].Recipient);
        Assert.Equal(_temp.Clock.Now, receipts[1].DeliveredAt);
        Assert.Null(Assert.Single(Message("m2").State.Receipts).ReadAt);
        Assert.Equal(EnvelopeResult.TargetMissing, StoreData.Receive(_store, _conversation.Id, new ReadReceiptContent(["nope"])).Result);
    }

    [Fact]
    public void A_read_receipt_from_another_of_my_devices_marks_messages_read_here()
    {
        StoreData.Receive(_store, _conversation.Id, new TextContent("hi alice"), "m1");
        Assert.Equal(1, _store.GetConversation(_conversation.Id)!.UnreadCount);
        var envelope = StoreData.Envelope(new ReadReceiptContent(["m1"]), _store.Time);
        using (var transaction = _store.BeginTransaction())
        {
            transaction.ApplyEnvelope(_conversation.Id, envelope, envelope.Encode(), "a2", "alice", true, DeliveryStatus.Sent);
            transaction.Commit();
        }
        Assert.True(Message("m1").State.Read);
        Assert.Equal(0, _store.GetConversation(_conversation.Id)!.UnreadCount);
    }

    [Fact]
    public void Marking_a_conversation_read_returns_what_to_send_read_receipts_for()
    {
        StoreData.Receive(_store, _conversation.Id, new TextContent("a"), "m1");
        StoreData.Send(_store, _conversation.Id, new TextContent("b"), "m2");
        StoreData.Receive(_store, _conversation.Id, new TextContent("c"), "m3");
        using var transaction = _store.BeginTransaction();
        var read = transaction.MarkConversationRead(_conversation.Id);
        transaction.Commit();
        Assert.Equal(["m1", "m3"], read.Select(m => m.MessageId).Order());
        Assert.Equal(0, _store.GetConversation(_conversation.Id)!.UnreadCount);
    }

    [Fact]
    public void A_duplicate_message_id_is_not_stored_twice()
    {
        Assert.Equal(EnvelopeResult.Added, StoreData.Receive(_store, _conversation.Id, new TextContent("once"), "m1").Result);
        Assert.Equal(EnvelopeResult.Duplicate, StoreData.Receive(_store, _conversation.Id, new TextContent("once"), "m1").Result);
        Assert.Single(_store.GetMessages(_conversation.Id));
    }

    [Fact]
    public void Unsupported_content_is_kept_and_shown_as_unsupported()
    {
        var envelope = new ContentEnvelope("m1", _store.Time.GetUtcNow(), new UnsupportedContent(1, 0x4242, "unknown"));
        byte[] bytes = [0x00, 0x01, 0x42, 0x42, 0x02, (byte)'m', (byte)'1', 0, 0, 0, 0, 0, 0, 0, 1, 0x01, 0xAA, 0x00];
        using (var transaction = _store.BeginTransaction())
        {
            Assert.Equal(EnvelopeResult.Added, transaction.ApplyEnvelope(_conversation.Id, envelope, bytes, "bb", "bob", false, DeliveryStatus.Received).Result);
            transaction.Commit();
        }
        var stored = Message("m1");
        var unsupported = Assert.IsType<UnsupportedContent>(stored.Content);
        Assert.Equal(0x4242, unsupported.ContentType);
        Assert.Null(stored.Text);
    }

    [Fact]
    public void An_attachment_message_records_the_attachment_with_its_key()
    {
        var reference = new AttachmentReference("blob-7", 123, "image/jpeg", "beach.jpg", 65536, Enumerable.Repeat((byte)7, 32).ToArray(), new byte[32]);
        var added = StoreData.Receive(_store, _conversation.Id, new AttachmentContent(reference, "sunset")).Message!;
        var attachment = Assert.Single(_store.GetAttachments(added.LocalId));
        Assert.Equal(reference, attachment.Reference);
        Assert.Equal("sunset", added.Text);
        Assert.Equal(attachment, _store.GetAttachment(attachment.Id));
    }

    [Fact]
    public void Conversation_info_renames_the_conversation()
    {
        StoreData.Receive(_store, _conversation.Id, new ConversationInfoContent(ConversationKind.Direct, "Bob"));
        var conversation = _store.GetConversation(_conversation.Id)!;
        Assert.Equal("Bob", conversation.DisplayName);
        Assert.Equal(ConversationKind.Direct, conversation.Kind);
    }

    [Fact]
    public void Modifying_a_message_that_is_not_there_changes_nothing()
        => Assert.Equal(EnvelopeResult.TargetMissing, StoreData.Receive(_store, _conversation.Id, new ReactionContent("ghost", "👻")).Result);

    [Fact]
    public void The_ciphertext_of_a_message_deleted_for_everyone_does_not_linger_on_disk()
    {
        var added = StoreData.Receive(_store, _conversation.Id, new TextContent("shred me, a fairly long sentence to make a big cell"), "m1").Message!;
        byte[] cell;
        using (var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={_temp.DatabasePath};Mode=ReadOnly;Pooling=False"))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "SELECT record FROM messages WHERE seq = $s;";
            command.Parameters.AddWithValue("$s", added.LocalId.Value);
            cell = (byte[])command.ExecuteScalar()!;
        }
        Assert.NotEqual(-1, _temp.DiskImage().AsSpan().IndexOf(cell.AsSpan(1, 40)));

        StoreData.Receive(_store, _conversation.Id, new DeleteContent("m1"));

        // The store key still opens old ciphertext, so none of it may survive in free pages or the WAL.
        Assert.Equal(-1, _temp.DiskImage().AsSpan().IndexOf(cell.AsSpan(1, 40)));
        Assert.Null(Message("m1").Content);
    }

    private StoredMessage Message(string id) => _store.FindMessage(_conversation.Id, id)!;
}
