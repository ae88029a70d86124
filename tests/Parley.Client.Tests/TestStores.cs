using Parley.Client.Conversations;
using Parley.Client.Identity;
using Parley.Client.Messages;
using Parley.Client.Storage;
using Parley.Content;
using Xunit;

namespace Parley.Client.Tests;

/// <summary>A clock the tests move by hand.</summary>
public sealed class ManualClock : TimeProvider
{
    public ManualClock(DateTimeOffset start) => Now = start;

    public DateTimeOffset Now { get; set; }

    public override DateTimeOffset GetUtcNow() => Now;

    public void Advance(TimeSpan by) => Now += by;

    /// <summary>Timers never fire on their own under a hand-moved clock: tests run what a timer would run themselves.</summary>
    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period) => new StoppedTimer();

    private sealed class StoppedTimer : ITimer
    {
        public bool Change(TimeSpan dueTime, TimeSpan period) => true;

        public void Dispose()
        {
        }

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}

/// <summary>A temporary folder holding one real store file, deleted with everything in it on dispose.</summary>
public sealed class TempStore : IDisposable
{
    public const string Passphrase = "correct horse battery staple";

    public TempStore()
    {
        Directory = Path.Combine(Path.GetTempPath(), "parley-client-tests", Guid.NewGuid().ToString("N"));
        Clock = new ManualClock(new DateTimeOffset(2025, 3, 1, 12, 0, 0, TimeSpan.Zero));
    }

    public string Directory { get; }

    public string DatabasePath => Path.Combine(Directory, "parley.db");

    public ManualClock Clock { get; }

    public ClientStoreOptions Options => new() { KeyDerivation = StoreKeyDerivation.Minimal, Time = Clock };

    public ClientStore Create() => ClientStore.Create(DatabasePath, Passphrase, Options);

    public ClientStore Open(string passphrase = Passphrase) => ClientStore.Open(DatabasePath, passphrase, Options);

    /// <summary>The database file and its WAL, as a thief copying the disk would get them.</summary>
    public byte[] DiskImage()
    {
        using var memory = new MemoryStream();
        foreach (string file in new[] { DatabasePath, DatabasePath + "-wal" })
        {
            if (File.Exists(file))
            {
                using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
                stream.CopyTo(memory);
            }
        }
        return memory.ToArray();
    }

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

/// <summary>Small builders for store contents.</summary>
public static class StoreData
{
    public static DeviceIdentity NewIdentity(TimeProvider time, string account = "alice")
        => DeviceIdentity.Create(account, new Uri("https://parley.example"), time, 1, AccountIdentityKey.Generate());

    public static Conversation NewConversation(TimeProvider time, string name = "Book club", TimeSpan? timer = null, ConversationKind kind = ConversationKind.Group)
        => new(ConversationId.New(), kind, name, System.Security.Cryptography.RandomNumberGenerator.GetBytes(16), timer,
            [new ConversationMember("alice", ["aa"]), new ConversationMember("bob", ["bb"])], time.GetUtcNow(), time.GetUtcNow(), 0);

    public static ContentEnvelope Envelope(MessageContent content, TimeProvider time, string? id = null)
        => new(id ?? ContentEnvelope.NewMessageId(), time.GetUtcNow(), content);

    /// <summary>Applies an envelope from bob (incoming) in its own transaction.</summary>
    public static EnvelopeOutcome Receive(ClientStore store, ConversationId conversation, MessageContent content, string? id = null,
        string sender = "bob", string device = "bb")
    {
        var envelope = Envelope(content, store.Time, id);
        using var transaction = store.BeginTransaction();
        var outcome = transaction.ApplyEnvelope(conversation, envelope, envelope.Encode(), device, sender, false, DeliveryStatus.Received);
        transaction.Commit();
        return outcome;
    }

    /// <summary>Applies an envelope this device sends, in its own transaction.</summary>
    public static EnvelopeOutcome Send(ClientStore store, ConversationId conversation, MessageContent content, string? id = null)
    {
        var envelope = Envelope(content, store.Time, id);
        using var transaction = store.BeginTransaction();
        var outcome = transaction.ApplyEnvelope(conversation, envelope, envelope.Encode(), "aa", "alice", true, DeliveryStatus.Pending);
        transaction.Commit();
        return outcome;
    }

    public static void Save(ClientStore store, Conversation conversation)
    {
        using var transaction = store.BeginTransaction();
        transaction.SaveConversation(conversation);
        transaction.Commit();
    }
}
