using Parley.Content;
using System.Text;
using Microsoft.Data.Sqlite;
using Parley.Client.Storage;
using Xunit;

namespace Parley.Client.Tests;

public sealed class StoreEncryptionTests : IDisposable
{
    private readonly TempStore _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void Wrong_passphrase_is_refused_with_a_typed_error()
    {
        _temp.Create().Dispose();

        var error = Assert.Throws<WrongPassphraseException>(() => _temp.Open("Correct horse battery staple"));
        Assert.Contains("passphrase", error.Message, StringComparison.Ordinal);
        using var store = _temp.Open();
        Assert.NotNull(store);
    }

    [Fact]
    public void Opening_a_missing_store_says_so()
    {
        var error = Assert.Throws<ClientStoreException>(() => _temp.Open());
        Assert.Contains("no Parley store", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Creating_over_an_existing_store_is_refused()
    {
        _temp.Create().Dispose();
        Assert.Throws<ClientStoreException>(() => _temp.Create());
    }

    [Fact]
    public void A_file_that_is_not_a_store_is_refused()
    {
        Directory.CreateDirectory(_temp.Directory);
        using (var connection = new SqliteConnection($"Data Source={_temp.DatabasePath}"))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "CREATE TABLE notes (x);";
            command.ExecuteNonQuery();
        }
        Assert.Throws<StoreFormatException>(() => _temp.Open());
    }

    [Fact]
    public void Reopen_after_dispose_keeps_data()
    {
        string deviceId;
        byte[] accountKey;
        Conversations.ConversationId conversationId;
        using (var store = _temp.Create())
        {
            var identity = StoreData.NewIdentity(store.Time);
            deviceId = identity.DeviceId;
            accountKey = identity.AccountIdentityPublicKey;
            var conversation = StoreData.NewConversation(store.Time, timer: TimeSpan.FromHours(1));
            conversationId = conversation.Id;
            using (var transaction = store.BeginTransaction())
            {
                transaction.SaveIdentity(identity);
                transaction.SaveConversation(conversation);
                transaction.Commit();
            }
            using (var transaction = store.BeginTransaction())
            {
                transaction.SetDeviceRegistration("token-123", [1, 2, 3]);
                transaction.Commit();
            }
            StoreData.Receive(store, conversationId, new TextContent("hello"), "m1");
            StoreData.Send(store, conversationId, new TextContent("hi bob"), "m2");
            store.CheckIdentityKey("bob", new byte[32]);
        }

        using (var store = _temp.Open())
        {
            var identity = store.Identity!;
            Assert.Equal("alice", identity.AccountName);
            Assert.Equal(deviceId, identity.DeviceId);
            Assert.Equal(accountKey, identity.AccountIdentityPublicKey);
            Assert.NotNull(identity.AccountKey);
            Assert.Equal("token-123", identity.CredentialToken);
            Assert.Equal([1, 2, 3], identity.DeviceCertificate);
            Assert.Equal(new Uri("https://parley.example"), identity.ServerUrl);

            var conversation = Assert.Single(store.Conversations);
            Assert.Equal(conversationId, conversation.Id);
            Assert.Equal("Book club", conversation.DisplayName);
            Assert.Equal(TimeSpan.FromHours(1), conversation.DisappearingTimer);
            Assert.Equal(1, conversation.UnreadCount);
            Assert.Equal(["alice", "bob"], conversation.Members.Select(m => m.Username));

            var messages = store.GetMessages(conversationId);
            Assert.Equal(["hello", "hi bob"], messages.Select(m => m.Text));
            Assert.Equal(["m1", "m2"], messages.Select(m => m.MessageId));
            Assert.Equal(_temp.Clock.Now + TimeSpan.FromHours(1), messages[0].ExpiresAt);
            Assert.Equal("bob", messages[0].SenderUsername);
            Assert.True(messages[1].IsOutgoing);
            Assert.NotNull(store.GetContact("bob"));
        }
    }

    [Fact]
    public void The_disk_holds_no_plaintext_only_structure()
    {
        const string secretText = "meet me at the lighthouse";
        using (var store = _temp.Create())
        {
            var identity = StoreData.NewIdentity(store.Time, "zanzibar");
            var conversation = StoreData.NewConversation(store.Time, "Quiet riverside group");
            using (var transaction = store.BeginTransaction())
            {
                transaction.SaveIdentity(identity);
                transaction.SaveConversation(conversation);
                transaction.SetDeviceRegistration("tokentokentoken", null);
                transaction.Commit();
            }
            StoreData.Receive(store, conversation.Id, new TextContent(secretText), sender: "oberon");
            store.CheckIdentityKey("titania", Enumerable.Repeat((byte)0x5A, 32).ToArray());
            byte[] image = _temp.DiskImage();

            foreach (string needle in new[] { secretText, "lighthouse", "zanzibar", "Quiet riverside", "oberon", "titania", "tokentokentoken", "parley.example" })
            {
                Assert.Equal(-1, image.AsSpan().IndexOf(Encoding.UTF8.GetBytes(needle)));
            }
            Assert.Equal(-1, image.AsSpan().IndexOf(identity.AccountIdentityPublicKey));
            Assert.Equal(-1, image.AsSpan().IndexOf(identity.DeviceSignaturePublicKey));
            Assert.Equal(-1, image.AsSpan().IndexOf(conversation.GroupId));
            Assert.Equal(-1, image.AsSpan().IndexOf(Enumerable.Repeat((byte)0x5A, 32).ToArray()));
        }
    }

    [Fact]
    public void A_tampered_encrypted_value_is_detected()
    {
        var conversationId = SeedTwoMessages();
        using (var connection = Raw())
        {
            using var read = connection.CreateCommand();
            read.CommandText = "SELECT record FROM messages WHERE seq = 1;";
            byte[] cell = (byte[])read.ExecuteScalar()!;
            cell[30] ^= 0x01;
            using var write = connection.CreateCommand();
            write.CommandText = "UPDATE messages SET record = $r WHERE seq = 1;";
            write.Parameters.AddWithValue("$r", cell);
            write.ExecuteNonQuery();
        }
        using var store = _temp.Open();
        var error = Assert.Throws<StoreIntegrityException>(() => store.GetMessages(conversationId));
        Assert.Equal("messages", error.Table);
        Assert.Equal("record", error.Column);
    }

    [Fact]
    public void Values_cannot_be_swapped_between_rows()
    {
        var conversationId = SeedTwoMessages();
        using (var connection = Raw())
        {
            Execute(connection, "UPDATE messages SET record = (SELECT record FROM messages WHERE seq = 2) WHERE seq = 1;");
        }
        using var store = _temp.Open();
        Assert.Throws<StoreIntegrityException>(() => store.GetMessage(new Messages.LocalMessageId(1)));
        Assert.Equal("second", store.GetMessage(new Messages.LocalMessageId(2))!.Text);
    }

    [Fact]
    public void Values_cannot_be_moved_between_columns_or_tables()
    {
        var conversationId = SeedTwoMessages();
        using (var connection = Raw())
        {
            Execute(connection, "UPDATE messages SET state = record WHERE seq = 1;");
            Execute(connection, "UPDATE conversations SET record = (SELECT record FROM messages WHERE seq = 2);");
        }
        Assert.Throws<StoreIntegrityException>(() => _temp.Open().Dispose());
        using (var connection = Raw())
        {
            Execute(connection, "DELETE FROM conversations;");
        }
        using var store = _temp.Open();
        Assert.Throws<StoreIntegrityException>(() => store.GetMessage(new Messages.LocalMessageId(1)));
    }

    [Fact]
    public void A_message_cannot_be_moved_to_another_conversation()
    {
        var conversationId = SeedTwoMessages();
        var other = StoreData.NewConversation(_temp.Clock, "Other");
        using (var store = _temp.Open())
        {
            StoreData.Save(store, other);
        }
        using (var connection = Raw())
        {
            using var command = connection.CreateCommand();
            command.CommandText = "UPDATE messages SET conversation = $c WHERE seq = 1;";
            command.Parameters.AddWithValue("$c", other.Id.ToBytes());
            command.ExecuteNonQuery();
        }
        using var reopened = _temp.Open();
        Assert.Throws<StoreIntegrityException>(() => reopened.GetMessages(other.Id));
    }

    [Fact]
    public void A_second_open_of_the_same_store_is_refused()
    {
        using var store = _temp.Create();
        Assert.Throws<StoreInUseException>(() => _temp.Open());
    }

    [Fact]
    public void A_reserved_store_stays_held_through_a_wrong_passphrase_and_into_the_open_store()
    {
        _temp.Create().Dispose();
        using var reservation = ClientStore.Reserve(_temp.DatabasePath);
        Assert.Throws<StoreInUseException>(() => _temp.Open());

        Assert.Throws<WrongPassphraseException>(() => ClientStore.Open(_temp.DatabasePath, "not the passphrase", _temp.Options, reservation));
        Assert.True(reservation.IsHeld);
        Assert.Throws<StoreInUseException>(() => _temp.Open());

        using (var store = ClientStore.Open(_temp.DatabasePath, TempStore.Passphrase, _temp.Options, reservation))
        {
            Assert.False(reservation.IsHeld);
            Assert.Throws<StoreInUseException>(() => _temp.Open());
            reservation.Dispose();
            Assert.Throws<StoreInUseException>(() => _temp.Open());
            Assert.Throws<ObjectDisposedException>(() => ClientStore.Open(_temp.DatabasePath, TempStore.Passphrase, _temp.Options, reservation));
        }
        using var reopened = _temp.Open();
        Assert.NotNull(reopened);
    }

    [Fact]
    public void Changing_the_passphrase_rewraps_the_key_and_keeps_the_data()
    {
        var conversationId = SeedTwoMessages();
        using (var store = _temp.Open())
        {
            store.ChangePassphrase("new passphrase", new StoreKeyDerivation(16, 2));
            Assert.Equal(new StoreKeyDerivation(16, 2), store.KeyDerivation);
        }
        Assert.Throws<WrongPassphraseException>(() => _temp.Open());
        using var reopened = _temp.Open("new passphrase");
        Assert.Equal(2, reopened.GetMessages(conversationId).Count);
    }

    [Fact]
    public void The_key_derivation_parameters_are_kept_in_the_header()
    {
        using var store = ClientStore.Create(_temp.DatabasePath, "pw", _temp.Options with { KeyDerivation = new StoreKeyDerivation(1024, 2) });
        Assert.Equal(new StoreKeyDerivation(1024, 2), store.KeyDerivation);
    }

    [Fact]
    public void Argon2id_parameters_below_libsodiums_minimum_are_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => ClientStore.Create(_temp.DatabasePath, "pw", _temp.Options with { KeyDerivation = new StoreKeyDerivation(4, 1) }));
    }

    [Fact]
    public void The_store_file_is_private_to_the_user()
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }
        using var store = _temp.Create();
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(_temp.DatabasePath));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(_temp.Directory));
    }

    [Fact]
    public void Disposing_the_store_wipes_the_device_keys()
    {
        var store = _temp.Create();
        var identity = StoreData.NewIdentity(store.Time);
        using (var transaction = store.BeginTransaction())
        {
            transaction.SaveIdentity(identity);
            transaction.Commit();
        }
        byte[] privateKey = identity.SignatureKey.PrivateKey;
        Assert.Contains(privateKey, b => b != 0);
        store.Dispose();
        Assert.All(privateKey, b => Assert.Equal(0, b));
        Assert.Throws<ObjectDisposedException>(() => identity.SignatureKey);
        Assert.Throws<ObjectDisposedException>(() => store.GetMessages(Conversations.ConversationId.New()));
    }

    [Fact]
    public void Secrets_never_print()
    {
        using var store = _temp.Create();
        var identity = StoreData.NewIdentity(store.Time);
        using (var transaction = store.BeginTransaction())
        {
            transaction.SaveIdentity(identity);
            transaction.SetDeviceRegistration("sekrit-token", null);
            transaction.Commit();
        }
        Assert.DoesNotContain("sekrit", store.Identity!.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain(Convert.ToHexString(identity.SignatureKey.PrivateKey), identity.ToString(), StringComparison.Ordinal);
        var reference = new AttachmentReference("blob", 1, "text/plain", "a.txt", 65536, new byte[32], new byte[32]);
        Assert.DoesNotContain("Key", reference.ToString(), StringComparison.Ordinal);
    }

    private Conversations.ConversationId SeedTwoMessages()
    {
        using var store = _temp.Create();
        var conversation = StoreData.NewConversation(store.Time);
        StoreData.Save(store, conversation);
        StoreData.Receive(store, conversation.Id, new TextContent("first"));
        StoreData.Receive(store, conversation.Id, new TextContent("second"));
        return conversation.Id;
    }

    private SqliteConnection Raw()
    {
        var connection = new SqliteConnection($"Data Source={_temp.DatabasePath};Pooling=False");
        connection.Open();
        return connection;
    }

    private static void Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }
}
