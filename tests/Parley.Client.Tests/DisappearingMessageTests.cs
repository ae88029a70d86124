using Parley.Client.Attachments;
using Parley.Client.Storage;
using Parley.Content;
using Xunit;

namespace Parley.Client.Tests;

public sealed class DisappearingMessageTests : IDisposable
{
    private readonly TempStore _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task Expired_messages_and_their_attachment_keys_and_files_are_deleted()
    {
        using var store = _temp.Create();
        var conversation = StoreData.NewConversation(store.Time, timer: TimeSpan.FromHours(1));
        var plain = StoreData.NewConversation(store.Time, "No timer");
        StoreData.Save(store, conversation);
        StoreData.Save(store, plain);

        var early = StoreData.Receive(store, conversation.Id, new TextContent("early bird")).Message!;
        var reference = new AttachmentReference("blob-9", 3, "text/plain", "note.txt", 65536, new byte[32], new byte[32]);
        var withFile = StoreData.Receive(store, conversation.Id, new AttachmentContent(reference, "a note")).Message!;
        string file = Path.Combine(_temp.Directory, "note.enc");
        File.WriteAllBytes(file, [1, 2, 3]);
        using (var transaction = store.BeginTransaction())
        {
            transaction.UpdateAttachment(store.GetAttachments(withFile.LocalId).Single() with { LocalPath = file });
            transaction.Commit();
        }
        StoreData.Receive(store, plain.Id, new TextContent("stays forever"));
        _temp.Clock.Advance(TimeSpan.FromMinutes(30));
        var late = StoreData.Receive(store, conversation.Id, new TextContent("late bird")).Message!;
        Assert.Equal(_temp.Clock.Now + TimeSpan.FromHours(1), late.ExpiresAt);
        Assert.Equal(withFile.ExpiresAt, store.GetAttachments(withFile.LocalId).Single().ExpiresAt);

        Assert.Equal(new ExpiryReport(0, 0), await store.ExpireMessagesAsync());
        Assert.Equal(early.ExpiresAt, store.NextExpiry);

        _temp.Clock.Advance(TimeSpan.FromMinutes(31));
        var report = await store.ExpireMessagesAsync();

        Assert.Equal(new ExpiryReport(2, 1), report);
        Assert.Equal(["late bird"], store.GetMessages(conversation.Id).Select(m => m.Text));
        Assert.Single(store.GetMessages(plain.Id));
        Assert.Empty(store.GetAttachments(withFile.LocalId));
        Assert.False(File.Exists(file));
        Assert.Empty(await store.SearchAsync("bird early"));
        Assert.Single(await store.SearchAsync("late"));
        Assert.Equal(late.ExpiresAt, store.NextExpiry);
    }

    [Fact]
    public async Task The_schedule_is_rebuilt_from_the_encrypted_store_after_a_restart()
    {
        var conversation = StoreData.NewConversation(_temp.Clock, timer: TimeSpan.FromMinutes(5));
        using (var store = _temp.Create())
        {
            StoreData.Save(store, conversation);
            for (int i = 0; i < 10; i++)
            {
                StoreData.Receive(store, conversation.Id, new TextContent("m" + i));
                _temp.Clock.Advance(TimeSpan.FromMinutes(1));
            }
        }
        using (var store = _temp.Open())
        {
            // Message i was stored at minute i and expires at minute i + 5; it is now minute 10 and a second.
            _temp.Clock.Advance(TimeSpan.FromSeconds(1));
            var report = await store.ExpireMessagesAsync();
            Assert.Equal(6, report.Messages);
            Assert.Equal(["m6", "m7", "m8", "m9"], store.GetMessages(conversation.Id).Select(m => m.Text));
        }
    }

    [Fact]
    public async Task A_timer_change_message_sets_the_timer_for_later_messages()
    {
        using var store = _temp.Create();
        var conversation = StoreData.NewConversation(store.Time);
        StoreData.Save(store, conversation);
        var before = StoreData.Receive(store, conversation.Id, new TextContent("before")).Message!;
        var change = StoreData.Receive(store, conversation.Id, new DisappearingTimerContent(TimeSpan.FromDays(1)));
        Assert.Equal(EnvelopeResult.Added, change.Result);
        var after = StoreData.Receive(store, conversation.Id, new TextContent("after")).Message!;

        Assert.Equal(TimeSpan.FromDays(1), store.GetConversation(conversation.Id)!.DisappearingTimer);
        Assert.Null(before.ExpiresAt);
        Assert.Equal(_temp.Clock.Now + TimeSpan.FromDays(1), after.ExpiresAt);

        StoreData.Receive(store, conversation.Id, new DisappearingTimerContent(null));
        Assert.Null(store.GetConversation(conversation.Id)!.DisappearingTimer);
        Assert.Null(StoreData.Receive(store, conversation.Id, new TextContent("off again")).Message!.ExpiresAt);

        _temp.Clock.Advance(TimeSpan.FromDays(2));
        var report = await store.ExpireMessagesAsync();
        Assert.Equal(2, report.Messages);
        Assert.Equal(["before", null, "off again"], store.GetMessages(conversation.Id).Select(m => m.Text));
    }

    [Fact]
    public async Task Expiring_unread_messages_lowers_the_unread_count()
    {
        using var store = _temp.Create();
        var conversation = StoreData.NewConversation(store.Time, timer: TimeSpan.FromSeconds(10));
        StoreData.Save(store, conversation);
        StoreData.Receive(store, conversation.Id, new TextContent("one"));
        StoreData.Receive(store, conversation.Id, new TextContent("two"));
        Assert.Equal(2, store.GetConversation(conversation.Id)!.UnreadCount);
        _temp.Clock.Advance(TimeSpan.FromSeconds(11));
        await store.ExpireMessagesAsync();
        Assert.Equal(0, store.GetConversation(conversation.Id)!.UnreadCount);
    }

    [Fact]
    public async Task Expired_messages_are_left_out_of_every_read_before_the_store_deletes_them()
    {
        using var store = _temp.Create();
        var conversation = StoreData.NewConversation(store.Time, timer: TimeSpan.FromMinutes(1));
        StoreData.Save(store, conversation);
        var gone = StoreData.Receive(store, conversation.Id, new TextContent("vanishing words")).Message!;
        _temp.Clock.Advance(TimeSpan.FromSeconds(30));
        StoreData.Receive(store, conversation.Id, new TextContent("lasting words"));
        await store.IndexReady;
        _temp.Clock.Advance(TimeSpan.FromSeconds(31));

        Assert.Equal(["lasting words"], store.GetMessages(conversation.Id).Select(m => m.Text));
        Assert.Equal(["lasting words"], store.GetMessages(conversation.Id, limit: 1).Select(m => m.Text));
        Assert.Null(store.GetMessage(gone.LocalId));
        Assert.Null(store.FindMessage(conversation.Id, gone.MessageId));
        Assert.Empty(await store.SearchAsync("vanishing"));
        Assert.Single(await store.SearchAsync("words"));
        Assert.Equal(1, Assert.Single(await store.ConversationsAsync()).UnreadCount);

        // Nothing was deleted yet: only the reads left it out.
        Assert.Equal(2, store.CountMessages(conversation.Id));
        Assert.Equal(new ExpiryReport(1, 0), await store.ExpireMessagesAsync());
        Assert.Equal(1, Assert.Single(await store.ConversationsAsync()).UnreadCount);
    }

    [Fact]
    public async Task The_store_deletes_expired_messages_on_schedule_without_being_asked()
    {
        using var store = ClientStore.Create(_temp.DatabasePath, TempStore.Passphrase, _temp.Options with { Time = TimeProvider.System });
        var conversation = StoreData.NewConversation(store.Time, timer: TimeSpan.FromSeconds(1));
        StoreData.Save(store, conversation);
        StoreData.Receive(store, conversation.Id, new TextContent("short-lived"));
        Assert.Single(await store.SearchAsync("short"));

        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (store.CountMessages(conversation.Id) > 0 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100);
        }
        Assert.Equal(0, store.CountMessages(conversation.Id));
        Assert.Equal(0, store.GetConversation(conversation.Id)!.UnreadCount);
        Assert.Null(store.NextExpiry);
    }
}
