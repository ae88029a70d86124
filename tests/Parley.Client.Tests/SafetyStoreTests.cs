using Microsoft.Data.Sqlite;
using Parley.Client.Messages;
using Parley.Client.Storage;
using Parley.Content;
using Xunit;

namespace Parley.Client.Tests;

/// <summary>What the store keeps for abuse reports and blocking: delivery stamps and the block list.</summary>
public sealed class SafetyStoreTests : IDisposable
{
    private readonly TempStore _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void A_stamp_is_kept_with_its_message_sealed_and_goes_when_the_message_goes()
    {
        byte[] stamp = [1, .. Enumerable.Range(0, 80).Select(i => (byte)i)];
        var conversation = StoreData.NewConversation(_temp.Clock);
        StoredMessage message;
        using (var store = _temp.Create())
        {
            StoreData.Save(store, conversation);
            message = StoreData.Receive(store, conversation.Id, new TextContent("report me")).Messages.Single();
            Assert.Null(store.GetStamp(message));
            using (var transaction = store.BeginTransaction())
            {
                transaction.SaveStamp(message, stamp);
                transaction.Commit();
            }
            Assert.Equal(stamp, store.GetStamp(message));
        }

        using (var store = _temp.Open())
        {
            Assert.Equal(stamp, store.GetStamp(store.GetMessage(message.LocalId)!));
            using var transaction = store.BeginTransaction();
            transaction.DeleteMessage(message.LocalId);
            transaction.Commit();
        }
        using var sqlite = Raw();
        Assert.Equal(0L, Scalar(sqlite, "SELECT count(*) FROM message_stamps;"));
    }

    [Fact]
    public void A_stamp_moved_to_another_message_fails_to_open()
    {
        var conversation = StoreData.NewConversation(_temp.Clock);
        using var store = _temp.Create();
        StoreData.Save(store, conversation);
        var first = StoreData.Receive(store, conversation.Id, new TextContent("one")).Messages.Single();
        var second = StoreData.Receive(store, conversation.Id, new TextContent("two")).Messages.Single();
        using (var transaction = store.BeginTransaction())
        {
            transaction.SaveStamp(first, [1, 2, 3]);
            transaction.Commit();
        }
        using (var sqlite = Raw())
        {
            Execute(sqlite, $"UPDATE message_stamps SET message_seq = {second.LocalId.Value};");
        }
        Assert.Throws<StoreIntegrityException>(() => store.GetStamp(second));
    }

    [Fact]
    public void A_received_attachment_keeps_its_plaintext_digest_so_it_can_be_reported()
    {
        byte[] plaintextDigest = Enumerable.Range(0, 32).Select(i => (byte)(i * 3)).ToArray();
        var reference = new AttachmentReference("blob", 10, "text/plain", "a.txt", 65536, new byte[32], new byte[32], plaintextDigest);
        var conversation = StoreData.NewConversation(_temp.Clock);
        LocalMessageId id;
        using (var store = _temp.Create())
        {
            StoreData.Save(store, conversation);
            id = StoreData.Receive(store, conversation.Id, new AttachmentContent(reference)).Messages.Single().LocalId;
        }
        using (var store = _temp.Open())
        {
            Assert.Equal(plaintextDigest, store.GetAttachments(id).Single().Reference.PlaintextDigest);
        }
    }

    [Fact]
    public void The_block_list_survives_a_restart_and_names_are_sealed()
    {
        using (var store = _temp.Create())
        {
            using var transaction = store.BeginTransaction();
            transaction.SetBlocked("mallory", true);
            transaction.SetBlocked("eve", true);
            transaction.SetBlocked("eve", true);
            transaction.Commit();
        }
        using (var store = _temp.Open())
        {
            Assert.Equal(["eve", "mallory"], store.BlockedUsernames);
            using var transaction = store.BeginTransaction();
            transaction.SetBlocked("eve", false);
            transaction.Commit();
            Assert.Equal(["mallory"], store.BlockedUsernames);
        }
        using var sqlite = Raw();
        byte[] record = (byte[])ScalarObject(sqlite, "SELECT record FROM blocks;")!;
        Assert.Equal(-1, record.AsSpan().IndexOf("mallory"u8));
    }

    [Fact]
    public void A_version_1_store_is_upgraded_when_opened()
    {
        using (var store = _temp.Create())
        {
        }
        // Turn the file back into the first schema: drop every table and trigger the first schema did not have.
        long latest;
        using (var sqlite = Raw())
        {
            latest = Scalar(sqlite, "PRAGMA user_version;");
            var added = new List<(string Type, string Name)>();
            using (var command = sqlite.CreateCommand())
            {
                command.CommandText = "SELECT type, name FROM sqlite_master WHERE type IN ('table', 'trigger') AND name NOT LIKE 'sqlite_%' "
                                      + "AND name NOT IN ('meta', 'identity', 'key_packages', 'conversations', 'messages', 'deliveries', 'outbox', 'contacts', 'attachments');";
                using var reader = command.ExecuteReader();
                while (reader.Read())
                {
                    added.Add((reader.GetString(0), reader.GetString(1)));
                }
            }
            Assert.Contains(("table", "message_stamps"), added);
            foreach (var (type, name) in added.OrderBy(a => a.Type == "table"))
            {
                Execute(sqlite, $"DROP {type.ToUpperInvariant()} {name};");
            }
            Execute(sqlite, "PRAGMA user_version = 1;");
        }
        using (var store = _temp.Open())
        {
            Assert.Empty(store.BlockedUsernames);
            using var transaction = store.BeginTransaction();
            transaction.SetBlocked("mallory", true);
            transaction.Commit();
        }
        using var check = Raw();
        Assert.Equal(latest, Scalar(check, "PRAGMA user_version;"));
    }

    private SqliteConnection Raw()
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = _temp.DatabasePath, Pooling = false }.ToString());
        connection.Open();
        return connection;
    }

    private static void Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    private static long Scalar(SqliteConnection connection, string sql) => (long)ScalarObject(connection, sql)!;

    private static object? ScalarObject(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return command.ExecuteScalar();
    }
}
