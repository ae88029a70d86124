using Parley.Client.Conversations;
using Parley.Client.Messages;
using Parley.Client.Storage;
using Parley.Content;
using Parley.Mls.Codec;
using Parley.Mls.Group;
using Parley.Mls.Messages;
using Xunit;

namespace Parley.Client.Tests;

public sealed class StoreTransactionTests : IDisposable
{
    private readonly TempStore _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void A_transaction_that_is_not_committed_leaves_nothing()
    {
        using var store = _temp.Create();
        var (alice, bob) = TestMls.TwoMemberGroup();
        using (alice)
        using (bob)
        {
            var conversation = StoreData.NewConversation(store.Time);
            using (var transaction = store.BeginTransaction())
            {
                transaction.SaveConversation(conversation);
                transaction.SaveGroupState(conversation.Id, bob);
                var envelope = StoreData.Envelope(new TextContent("lost"), store.Time);
                transaction.ApplyEnvelope(conversation.Id, envelope, envelope.Encode(), "bb", "bob", false, DeliveryStatus.Received);
                Assert.True(transaction.MarkDeliveryProcessed("d1"));
                Assert.True(transaction.IsDeliveryProcessed("d1"));
                Assert.NotNull(transaction.GetConversation(conversation.Id));
                // No Commit: disposing rolls back, as a crash before the commit would.
            }
            Assert.Empty(store.Conversations);
            Assert.Equal(0, store.CountMessages());
            Assert.False(store.IsDeliveryProcessed("d1"));
        }
    }

    [Fact]
    public void An_mls_state_and_the_message_it_decrypted_commit_together_and_a_redelivery_is_processed_once()
    {
        var (alice, bob) = TestMls.TwoMemberGroup();
        var conversation = StoreData.NewConversation(_temp.Clock);
        using (var store = _temp.Create())
        {
            using var transaction = store.BeginTransaction();
            transaction.SaveConversation(conversation);
            transaction.SaveGroupState(conversation.Id, bob);
            transaction.Commit();
        }
        bob.Dispose();

        var envelope = StoreData.Envelope(new TextContent("exactly once"), _temp.Clock);
        byte[] wire = alice.EncryptApplicationMessage(envelope.Encode()).ToBytes();
        alice.Dispose();

        // First attempt: the group decrypts (its ratchet moves on in memory) but the process dies before the commit.
        using (var store = _temp.Open())
        {
            using var group = store.LoadGroup(conversation.Id);
            using var transaction = store.BeginTransaction();
            Process(transaction, conversation.Id, group, "delivery-1", wire);
        }

        // After the restart the stored state is the old one, so the redelivered message still decrypts.
        using (var store = _temp.Open())
        {
            Assert.Equal(0, store.CountMessages());
            Assert.False(store.IsDeliveryProcessed("delivery-1"));
            using var group = store.LoadGroup(conversation.Id);
            using var transaction = store.BeginTransaction();
            Process(transaction, conversation.Id, group, "delivery-1", wire);
            transaction.Commit();
        }

        // The server redelivers (the acknowledgement was lost): it is recognised and not processed again.
        using (var store = _temp.Open())
        {
            Assert.True(store.IsDeliveryProcessed("delivery-1"));
            var message = Assert.Single(store.GetMessages(conversation.Id));
            Assert.Equal("exactly once", message.Text);
            using var group = store.LoadGroup(conversation.Id);
            // Decrypting it again would fail: the stored state has consumed the message key.
            Assert.ThrowsAny<Parley.Mls.MlsException>(() => group.ProcessMessage(wire));
        }
    }

    [Fact]
    public void A_crash_image_taken_during_a_transaction_holds_none_of_its_writes()
    {
        var conversation = StoreData.NewConversation(_temp.Clock);
        using var store = _temp.Create();
        StoreData.Save(store, conversation);
        string copy = Path.Combine(_temp.Directory, "crash.db");
        using (var transaction = store.BeginTransaction())
        {
            for (int i = 0; i < 200; i++)
            {
                var envelope = StoreData.Envelope(new TextContent("pending " + i), store.Time);
                transaction.ApplyEnvelope(conversation.Id, envelope, envelope.Encode(), "bb", "bob", false, DeliveryStatus.Received);
            }
            // Copy the database and its WAL while the transaction is open: what a power cut would leave.
            File.Copy(_temp.DatabasePath, copy);
            if (File.Exists(_temp.DatabasePath + "-wal"))
            {
                File.Copy(_temp.DatabasePath + "-wal", copy + "-wal");
            }
            transaction.Commit();
        }
        Assert.Equal(200, store.CountMessages());

        using var crashed = ClientStore.Open(copy, TempStore.Passphrase, _temp.Options);
        Assert.Single(crashed.Conversations);
        Assert.Equal(0, crashed.CountMessages());
    }

    [Fact]
    public void An_outbox_entry_commits_with_the_group_state_that_encrypted_it()
    {
        var (alice, bob) = TestMls.TwoMemberGroup();
        using var _ = bob;
        var conversation = StoreData.NewConversation(_temp.Clock);
        byte[] wire;
        using (var store = _temp.Create())
        {
            using (var transaction = store.BeginTransaction())
            {
                transaction.SaveConversation(conversation);
                transaction.SaveGroupState(conversation.Id, alice);
                transaction.Commit();
            }
            alice.Dispose();

            using var group = store.LoadGroup(conversation.Id);
            var envelope = StoreData.Envelope(new TextContent("to send"), store.Time);
            byte[] bytes = envelope.Encode();
            wire = group.EncryptApplicationMessage(bytes).ToBytes();
            using var send = store.BeginTransaction();
            var outcome = send.ApplyEnvelope(conversation.Id, envelope, bytes, "aa", "alice", true, DeliveryStatus.Pending);
            send.SaveGroupState(conversation.Id, group);
            send.AddToOutbox(conversation.Id, envelope.MessageId, OutboxKind.Application, wire, localMessage: outcome.Message!.LocalId);
            send.Commit();
        }

        using (var store = _temp.Open())
        {
            var item = Assert.Single(store.GetOutbox());
            Assert.Equal(wire, item.Message);
            Assert.Equal(OutboxKind.Application, item.Kind);
            var message = store.GetMessage(item.LocalMessage!.Value)!;
            Assert.Equal(DeliveryStatus.Pending, message.State.Status);
            Assert.Equal(item.DeliveryId, message.MessageId);

            // Bob can read what was queued: the state that encrypted it is the one stored.
            var received = Assert.IsType<ApplicationMessage>(bob.ProcessMessage(item.Message));
            Assert.Equal("to send", Assert.IsType<TextContent>(ContentEnvelope.Decode(received.Data).Content).Text);

            using var transaction = store.BeginTransaction();
            var sent = transaction.MarkOutboxSent(item.Id);
            transaction.Commit();
            Assert.Equal(DeliveryStatus.Sent, sent!.State.Status);
            Assert.Empty(store.GetOutbox());
            Assert.Equal(DeliveryStatus.Sent, store.GetMessage(item.LocalMessage!.Value)!.State.Status);
        }
    }

    [Fact]
    public void Reads_outside_a_transaction_see_only_committed_data()
    {
        using var store = _temp.Create();
        var conversation = StoreData.NewConversation(store.Time);
        StoreData.Save(store, conversation);
        using (var transaction = store.BeginTransaction())
        {
            var envelope = StoreData.Envelope(new TextContent("not yet"), store.Time, "m1");
            transaction.ApplyEnvelope(conversation.Id, envelope, envelope.Encode(), "bb", "bob", false, DeliveryStatus.Received);
            Assert.NotNull(transaction.FindMessage(conversation.Id, "m1"));
            Assert.Null(store.FindMessage(conversation.Id, "m1"));
            Assert.Equal(0, store.GetConversation(conversation.Id)!.UnreadCount);
            transaction.Commit();
        }
        Assert.NotNull(store.FindMessage(conversation.Id, "m1"));
        Assert.Equal(1, store.GetConversation(conversation.Id)!.UnreadCount);
    }

    [Fact]
    public void A_rolled_back_registration_leaves_the_identity_unchanged()
    {
        using var store = _temp.Create();
        using (var transaction = store.BeginTransaction())
        {
            transaction.SaveIdentity(StoreData.NewIdentity(store.Time));
            transaction.Commit();
        }
        using (var transaction = store.BeginTransaction())
        {
            transaction.SetDeviceRegistration("token", [7]);
            Assert.Null(store.Identity!.CredentialToken);
        }
        Assert.Null(store.Identity!.CredentialToken);
        using (var transaction = store.BeginTransaction())
        {
            transaction.SetDeviceRegistration("token", [7]);
            transaction.Commit();
        }
        Assert.Equal("token", store.Identity!.CredentialToken);
    }

    [Fact]
    public void Committed_and_rolled_back_callbacks_run_once_each()
    {
        using var store = _temp.Create();
        int committed = 0, rolledBack = 0;
        using (var transaction = store.BeginTransaction())
        {
            transaction.OnCommitted(() => committed++);
            transaction.OnRolledBack(() => rolledBack++);
            transaction.Commit();
        }
        using (var transaction = store.BeginTransaction())
        {
            transaction.OnCommitted(() => committed++);
            transaction.OnRolledBack(() => rolledBack++);
        }
        Assert.Equal(1, committed);
        Assert.Equal(1, rolledBack);
    }

    [Fact]
    public async Task Only_one_transaction_is_open_at_a_time()
    {
        using var store = _temp.Create();
        var first = store.BeginTransaction();
        var second = store.BeginTransactionAsync();
        await Task.Delay(50);
        Assert.False(second.IsCompleted);
        first.Dispose();
        using var opened = await second;
        Assert.NotNull(opened);
    }

    [Fact]
    public void Deleting_a_conversation_removes_its_messages_attachments_and_outbox()
    {
        using var store = _temp.Create();
        var conversation = StoreData.NewConversation(store.Time);
        StoreData.Save(store, conversation);
        var reference = new AttachmentReference("blob-1", 10, "text/plain", "a.txt", 65536, new byte[32], new byte[32]);
        var added = StoreData.Receive(store, conversation.Id, new AttachmentContent(reference, "see file")).Message!;
        string file = Path.Combine(_temp.Directory, "blob-1.enc");
        File.WriteAllBytes(file, [1, 2, 3]);
        using (var transaction = store.BeginTransaction())
        {
            var attachment = Assert.Single(store.GetAttachments(added.LocalId));
            transaction.UpdateAttachment(attachment with { LocalPath = file });
            transaction.AddToOutbox(conversation.Id, "out-1", OutboxKind.Application, [1]);
            transaction.Commit();
        }
        using (var transaction = store.BeginTransaction())
        {
            transaction.DeleteConversation(conversation.Id);
            transaction.Commit();
        }
        Assert.Empty(store.Conversations);
        Assert.Equal(0, store.CountMessages());
        Assert.Empty(store.GetAttachments(added.LocalId));
        Assert.Empty(store.GetOutbox());
        Assert.False(File.Exists(file));
    }

    [Fact]
    public void Processed_deliveries_can_be_pruned_to_the_newest()
    {
        using var store = _temp.Create();
        using var transaction = store.BeginTransaction();
        for (int i = 0; i < 10; i++)
        {
            transaction.MarkDeliveryProcessed("d" + i);
        }
        Assert.False(transaction.MarkDeliveryProcessed("d3"));
        Assert.Equal(6, transaction.PruneDeliveries(keep: 4));
        Assert.False(transaction.IsDeliveryProcessed("d5"));
        Assert.True(transaction.IsDeliveryProcessed("d6"));
        transaction.Commit();
    }

    private static void Process(StoreTransaction transaction, ConversationId conversation, MlsGroup group, string deliveryId, byte[] wire)
    {
        Assert.False(transaction.IsDeliveryProcessed(deliveryId));
        var processed = Assert.IsType<ApplicationMessage>(group.ProcessMessage(wire));
        var envelope = ContentEnvelope.Decode(processed.Data);
        string device = System.Text.Encoding.ASCII.GetString(processed.SenderCredential!.Identity!);
        transaction.ApplyEnvelope(conversation, envelope, processed.Data, device, "alice", false, DeliveryStatus.Received);
        transaction.SaveGroupState(conversation, group);
        transaction.MarkDeliveryProcessed(deliveryId);
    }
}
