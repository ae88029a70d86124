using Parley.Client.Storage;
using Parley.Content;
using Xunit;

namespace Parley.Client.Tests;

/// <summary>Reading a conversation's history by position, as a list that shows all of it reads it page by page.</summary>
public sealed class HistoryPagingTests : IDisposable
{
    private readonly TempStore _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void Pages_read_by_position_oldest_first_and_a_message_id_gives_its_position()
    {
        using var store = _temp.Create();
        var chat = StoreData.NewConversation(store.Time);
        var other = StoreData.NewConversation(store.Time, "Other");
        StoreData.Save(store, chat);
        StoreData.Save(store, other);
        var ids = new List<string>();
        for (int i = 0; i < 25; i++)
        {
            ids.Add(StoreData.Receive(store, chat.Id, new TextContent($"message {i}")).Message!.MessageId);
            // Interleaved rows of another conversation take no positions in this one.
            StoreData.Receive(store, other.Id, new TextContent($"elsewhere {i}"));
        }

        Assert.Equal(["message 10", "message 11", "message 12"], store.GetMessagesAt(chat.Id, 10, 3).Select(m => m.Text));
        Assert.Equal(["message 0", "message 1"], store.GetMessagesAt(chat.Id, 0, 2).Select(m => m.Text));
        // A page past the end holds what is left, then nothing.
        Assert.Equal(["message 23", "message 24"], store.GetMessagesAt(chat.Id, 23, 10).Select(m => m.Text));
        Assert.Empty(store.GetMessagesAt(chat.Id, 25, 10));
        // The newest page equals the newest messages GetMessages reads.
        Assert.Equal(store.GetMessages(chat.Id, null, 5).Select(m => m.LocalId), store.GetMessagesAt(chat.Id, 20, 5).Select(m => m.LocalId));

        Assert.Equal(0, store.PositionOf(chat.Id, ids[0]));
        Assert.Equal(17, store.PositionOf(chat.Id, ids[17]));
        Assert.Equal("message 17", store.GetMessagesAt(chat.Id, store.PositionOf(chat.Id, ids[17])!.Value, 1).Single().Text);
        Assert.Null(store.PositionOf(chat.Id, "no such message"));
        Assert.Null(store.PositionOf(other.Id, ids[3]));
        Assert.Throws<ArgumentOutOfRangeException>(() => store.GetMessagesAt(chat.Id, -1, 3));
        Assert.Throws<ArgumentOutOfRangeException>(() => store.GetMessagesAt(chat.Id, 0, 0));
    }

    [Fact]
    public void An_expired_message_keeps_its_position_but_is_not_read()
    {
        using var store = _temp.Create();
        var chat = StoreData.NewConversation(store.Time, timer: TimeSpan.FromMinutes(5));
        StoreData.Save(store, chat);
        string first = StoreData.Receive(store, chat.Id, new TextContent("soon gone")).Message!.MessageId;
        _temp.Clock.Advance(TimeSpan.FromMinutes(3));
        string second = StoreData.Receive(store, chat.Id, new TextContent("still here")).Message!.MessageId;
        _temp.Clock.Advance(TimeSpan.FromMinutes(3));

        Assert.Equal(["still here"], store.GetMessagesAt(chat.Id, 0, 2).Select(m => m.Text));
        Assert.Null(store.PositionOf(chat.Id, first));
        Assert.Equal(1, store.PositionOf(chat.Id, second));
    }
}
