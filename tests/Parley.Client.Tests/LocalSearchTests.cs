using Parley.Content;
using System.Text;
using Parley.Client.Messages;
using Parley.Client.Storage;
using Xunit;

namespace Parley.Client.Tests;

public sealed class LocalSearchTests : IDisposable
{
    private readonly TempStore _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task Search_finds_words_prefixes_and_ignores_accents_and_case()
    {
        using var store = _temp.Create();
        var conversation = StoreData.NewConversation(store.Time);
        StoreData.Save(store, conversation);
        StoreData.Receive(store, conversation.Id, new TextContent("Let's meet at the Café tomorrow"));
        StoreData.Receive(store, conversation.Id, new TextContent("the weather is lovely"));

        Assert.Single(await store.SearchAsync("cafe"));
        Assert.Single(await store.SearchAsync("TOMORR"));
        Assert.Equal(2, (await store.SearchAsync("the")).Count);
        Assert.Empty(await store.SearchAsync("meet weather"));
        var hit = Assert.Single(await store.SearchAsync("lovely"));
        Assert.Equal(conversation.Id, hit.Conversation);
        Assert.Contains("[lovely]", hit.Snippet, StringComparison.Ordinal);
        Assert.Equal("the weather is lovely", store.GetMessage(hit.Message)!.Text);
    }

    [Fact]
    public async Task Search_can_be_limited_to_one_conversation_and_returns_newest_first()
    {
        using var store = _temp.Create();
        var a = StoreData.NewConversation(store.Time, "A");
        var b = StoreData.NewConversation(store.Time, "B");
        StoreData.Save(store, a);
        StoreData.Save(store, b);
        var first = StoreData.Receive(store, a.Id, new TextContent("pizza tonight")).Message!;
        StoreData.Receive(store, b.Id, new TextContent("pizza again"));
        var third = StoreData.Receive(store, a.Id, new ReplyContent(first.MessageId, "pizza is great")).Message!;

        Assert.Equal(3, (await store.SearchAsync("pizza")).Count);
        var inA = await store.SearchAsync("pizza", a.Id);
        Assert.Equal([third.LocalId, first.LocalId], inA.Select(h => h.Message));
        Assert.Single(await store.SearchAsync("pizza", a.Id, limit: 1));
    }

    [Fact]
    public async Task The_index_follows_edits_deletions_and_local_deletes()
    {
        using var store = _temp.Create();
        var conversation = StoreData.NewConversation(store.Time);
        StoreData.Save(store, conversation);
        var message = StoreData.Receive(store, conversation.Id, new TextContent("original wording"), "m1").Message!;
        var other = StoreData.Receive(store, conversation.Id, new TextContent("keep this one"), "m2").Message!;

        StoreData.Receive(store, conversation.Id, new EditContent("m1", "revised phrasing"));
        Assert.Empty(await store.SearchAsync("original"));
        Assert.Single(await store.SearchAsync("revised"));

        StoreData.Receive(store, conversation.Id, new DeleteContent("m1"));
        Assert.Empty(await store.SearchAsync("revised"));

        using (var transaction = store.BeginTransaction())
        {
            transaction.DeleteMessage(other.LocalId);
            transaction.Commit();
        }
        Assert.Empty(await store.SearchAsync("keep"));
    }

    [Fact]
    public async Task Attachments_are_found_by_file_name_and_caption()
    {
        using var store = _temp.Create();
        var conversation = StoreData.NewConversation(store.Time);
        StoreData.Save(store, conversation);
        var reference = new AttachmentReference("b1", 10, "application/pdf", "quarterly-report.pdf", 65536, new byte[32], new byte[32]);
        StoreData.Receive(store, conversation.Id, new AttachmentContent(reference, "numbers inside"));
        Assert.Single(await store.SearchAsync("quarterly"));
        Assert.Single(await store.SearchAsync("numbers"));
    }

    [Fact]
    public async Task Queries_with_operators_and_quotes_are_taken_literally()
    {
        using var store = _temp.Create();
        var conversation = StoreData.NewConversation(store.Time);
        StoreData.Save(store, conversation);
        StoreData.Receive(store, conversation.Id, new TextContent("she said \"NEAR\" OR not AND maybe"));
        foreach (string query in new[] { "\"", "NEAR(", "OR", "a* -b", "col:x", "^", "\"said" })
        {
            await store.SearchAsync(query);
        }
        Assert.Single(await store.SearchAsync("\"near\""));
        Assert.Empty(await store.SearchAsync("   "));
    }

    [Fact]
    public async Task After_a_restart_the_index_is_rebuilt_and_writes_during_the_build_are_not_lost()
    {
        var conversation = StoreData.NewConversation(_temp.Clock);
        using (var store = _temp.Create())
        {
            StoreData.Save(store, conversation);
            using var transaction = store.BeginTransaction();
            for (int i = 0; i < 3000; i++)
            {
                var envelope = StoreData.Envelope(new TextContent($"history number {i} walrus{i % 7}"), store.Time);
                transaction.ApplyEnvelope(conversation.Id, envelope, envelope.Encode(), "bb", "bob", false, DeliveryStatus.Received);
            }
            transaction.Commit();
        }
        using (var store = _temp.Open())
        {
            // Written while the background build may still run: queued and replayed in order.
            var added = StoreData.Receive(store, conversation.Id, new TextContent("fresh narwhal"), "fresh").Message!;
            StoreData.Receive(store, conversation.Id, new EditContent("fresh", "fresh beluga"));
            var first = store.GetMessages(conversation.Id, new LocalMessageId(2), 1).Single();
            StoreData.Receive(store, conversation.Id, new DeleteContent(first.MessageId));

            Assert.Equal(429, (await store.SearchAsync("walrus3", limit: 1000)).Count);
            Assert.Single(await store.SearchAsync("beluga"));
            Assert.Empty(await store.SearchAsync("narwhal"));
            Assert.Empty(await store.SearchAsync("history number 0 walrus0"));
            Assert.Equal(added.LocalId, (await store.SearchAsync("fresh")).Single().Message);
        }
    }

    [Fact]
    public async Task Search_never_returns_messages_of_blocked_accounts_and_still_fills_the_limit()
    {
        var conversation = StoreData.NewConversation(_temp.Clock);
        using (var store = _temp.Create())
        {
            StoreData.Save(store, conversation);
            var fromCarol = StoreData.Receive(store, conversation.Id, new TextContent("picnic on sunday"), sender: "carol").Message!;
            for (int i = 0; i < 5; i++)
            {
                StoreData.Receive(store, conversation.Id, new TextContent($"picnic spam {i}"), sender: "mallory");
            }
            var mine = StoreData.Send(store, conversation.Id, new TextContent("picnic sounds good")).Message!;
            using (var transaction = store.BeginTransaction())
            {
                transaction.SetBlocked("mallory", true);
                transaction.Commit();
            }

            Assert.Equal([mine.LocalId, fromCarol.LocalId], (await store.SearchAsync("picnic", limit: 2)).Select(h => h.Message));
            Assert.Empty(await store.SearchAsync("spam"));
            Assert.Empty(await store.SearchAsync("spam", conversation.Id));
        }
        using (var store = _temp.Open())
        {
            // The index rebuilt at start-up keeps the senders too.
            Assert.Empty(await store.SearchAsync("spam"));
            using (var transaction = store.BeginTransaction())
            {
                transaction.SetBlocked("mallory", false);
                transaction.Commit();
            }
            Assert.Equal(5, (await store.SearchAsync("spam")).Count);
        }
    }

    [Fact]
    public async Task Searching_writes_nothing_to_disk()
    {
        using var store = _temp.Create();
        var conversation = StoreData.NewConversation(store.Time);
        StoreData.Save(store, conversation);
        StoreData.Receive(store, conversation.Id, new TextContent("xylophone quartet"));
        await store.SearchAsync("xylophone");
        Assert.Equal(-1, _temp.DiskImage().AsSpan().IndexOf(Encoding.UTF8.GetBytes("xylophone")));
        Assert.Equal(["parley.db", "parley.db-shm", "parley.db-wal", "parley.db.lock"],
            Directory.GetFiles(_temp.Directory).Select(Path.GetFileName).Order());
    }
}
