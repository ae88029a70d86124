// The one way to change a client store: everything written in a transaction commits together or not at all
// (an MLS group state and the messages it produced, a processed delivery and its effects, an outbox entry
// and the state that encrypted it).
using Microsoft.Data.Sqlite;
using Parley.Client.Attachments;
using Parley.Client.Conversations;
using Parley.Client.Identity;
using Parley.Client.Messages;
using Parley.Client.Search;
using Parley.Content;
using Parley.Mls.Group;

namespace Parley.Client.Storage;

/// <summary>A message to add to the history.</summary>
/// <param name="Conversation">The conversation.</param>
/// <param name="Envelope">The decoded envelope.</param>
/// <param name="EnvelopeBytes">The envelope exactly as sent or received (kept for later versions and franking).</param>
/// <param name="SenderDeviceId">The sending device.</param>
/// <param name="SenderUsername">The sending account, if known.</param>
/// <param name="IsOutgoing">Sent by this account.</param>
/// <param name="Status">Pending for messages this device is sending, Sent for copies from this account's
/// other devices, Received otherwise.</param>
public sealed record NewMessage(
    ConversationId Conversation,
    ContentEnvelope Envelope,
    byte[] EnvelopeBytes,
    string SenderDeviceId,
    string? SenderUsername,
    bool IsOutgoing,
    DeliveryStatus Status);

/// <summary>A write transaction on a <see cref="ClientStore"/>. Reads through it see its own writes. <see cref="Commit"/>
/// makes everything durable at once, then updates the store's caches and search index; disposing without committing
/// rolls everything back (as a crash would). Only one is open at a time.</summary>
public sealed partial class StoreTransaction : IDisposable
{
    private readonly ClientStore _store;
    private readonly SqliteConnection _connection;
    private readonly SqliteTransaction _transaction;
    private readonly Changes _changes = new();
    private List<Action>? _onCommitted;
    private List<Action>? _onRolledBack;
    private bool _completed;
    private bool _disposed;

    internal StoreTransaction(ClientStore store, SqliteConnection connection, SqliteTransaction transaction)
    {
        _store = store;
        _connection = connection;
        _transaction = transaction;
    }

    /// <summary>The store this transaction writes to.</summary>
    public ClientStore Store => _store;

    internal SqliteTransaction Sqlite => _transaction;

    private StoreCipher Cipher => _store.Cipher;

    private DateTimeOffset Now => _store.Time.GetUtcNow();

    // ---- Identity -----------------------------------------------------------------------------

    /// <summary>Stores this device's identity. Once committed the store owns it (and disposes the one it replaces).</summary>
    public void SaveIdentity(DeviceIdentity identity)
    {
        ArgumentNullException.ThrowIfNull(identity);
        WriteIdentity(identity, identity.CredentialToken, identity.DeviceCertificate);
        _changes.Identity = identity;
        _changes.Registration = null;
    }

    /// <summary>Records the credential token and device certificate the server gave at registration.</summary>
    public void SetDeviceRegistration(string credentialToken, byte[]? deviceCertificate)
    {
        ArgumentException.ThrowIfNullOrEmpty(credentialToken);
        var identity = _changes.Identity ?? _store.Identity ?? throw new InvalidOperationException("The store has no device identity yet.");
        // The cached identity changes only when the transaction commits (see ClientStore.Publish).
        WriteIdentity(identity, credentialToken, deviceCertificate);
        _changes.Registration = (credentialToken, deviceCertificate);
    }

    private void WriteIdentity(DeviceIdentity identity, string? credentialToken, byte[]? deviceCertificate)
    {
        byte[] plain = StoredRecords.EncodeIdentity(identity, credentialToken, deviceCertificate);
        try
        {
            Execute("INSERT INTO identity (id, record) VALUES (1, $r) ON CONFLICT (id) DO UPDATE SET record = excluded.record;",
                ("$r", Cipher.Seal(StoreSchema.Identity, "record", [1], plain)));
        }
        finally
        {
            System.Security.Cryptography.CryptographicOperations.ZeroMemory(plain);
        }
    }

    // ---- Conversations ------------------------------------------------------------------------

    /// <summary>The conversation as this transaction sees it, or null.</summary>
    public Conversation? GetConversation(ConversationId id)
        => _changes.Conversations.TryGetValue(id, out var pending) ? pending : _store.GetConversation(id);

    /// <summary>Inserts or replaces a conversation's metadata.</summary>
    public void SaveConversation(Conversation conversation)
    {
        ArgumentNullException.ThrowIfNull(conversation);
        byte[] id = conversation.Id.ToBytes();
        Execute("INSERT INTO conversations (id, record) VALUES ($id, $r) ON CONFLICT (id) DO UPDATE SET record = excluded.record;",
            ("$id", id), ("$r", Cipher.Seal(StoreSchema.Conversations, "record", id, StoredRecords.EncodeConversation(conversation))));
        _changes.Conversations[conversation.Id] = conversation;
    }

    /// <summary>Stores the conversation's MLS group state (serialized, sealed; the plaintext copy is wiped).</summary>
    public void SaveGroupState(ConversationId id, MlsGroup group)
    {
        ArgumentNullException.ThrowIfNull(group);
        if (GetConversation(id) is null)
        {
            throw new InvalidOperationException($"Conversation {id} does not exist; save it first.");
        }
        byte[] rowId = id.ToBytes();
        byte[] state = group.Serialize();
        try
        {
            Execute("UPDATE conversations SET group_state = $s WHERE id = $id;",
                ("$id", rowId), ("$s", Cipher.Seal(StoreSchema.Conversations, "group_state", rowId, state)));
        }
        finally
        {
            System.Security.Cryptography.CryptographicOperations.ZeroMemory(state);
        }
    }

    /// <summary>Deletes a conversation with its group state, messages, attachments (and their files) and outbox entries.</summary>
    public void DeleteConversation(ConversationId id)
    {
        byte[] rowId = id.ToBytes();
        var seqs = new List<long>();
        using (var command = Command("SELECT seq FROM messages WHERE conversation = $c;", ("$c", rowId)))
        using (var reader = command.ExecuteReader())
        {
            while (reader.Read())
            {
                seqs.Add(reader.GetInt64(0));
            }
        }
        DeleteMessages(seqs, adjustUnread: false);
        Execute("DELETE FROM outbox WHERE conversation = $c;", ("$c", rowId));
        Execute("DELETE FROM conversations WHERE id = $c;", ("$c", rowId));
        _changes.Shred = true;
        _changes.Conversations[id] = null;
    }

    // ---- Messages -----------------------------------------------------------------------------

    /// <summary>Adds a message, stamped with the store's clock and, if the conversation has a disappearing timer,
    /// an expiry. Returns null (and writes nothing) when the conversation already has a message with that id.</summary>
    public StoredMessage? AddMessage(NewMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        var conversation = GetConversation(message.Conversation)
            ?? throw new InvalidOperationException($"Conversation {message.Conversation} does not exist.");
        byte[] index = _store.MessageIndex(message.Conversation, message.Envelope.MessageId);
        if (Exists("SELECT 1 FROM messages WHERE ref_index = $r;", ("$r", index)))
        {
            return null;
        }
        var now = Now;
        var record = new MessageRecord(message.Envelope.MessageId, message.SenderDeviceId, message.SenderUsername, message.IsOutgoing,
            message.Envelope.SentAt, now, conversation.DisappearingTimer is { } timer ? now + timer : null, message.EnvelopeBytes);
        var state = MessageState.Initial(message.Status);
        long seq = _store.NextMessageSeq();
        byte[] rowId = RowId.Of(seq, message.Conversation);
        Execute("INSERT INTO messages (seq, conversation, ref_index, record, state) VALUES ($s, $c, $r, $rec, $st);",
            ("$s", seq), ("$c", message.Conversation.ToBytes()), ("$r", index),
            ("$rec", Cipher.Seal(StoreSchema.Messages, "record", rowId, StoredRecords.EncodeMessage(record))),
            ("$st", Cipher.Seal(StoreSchema.Messages, "state", rowId, StoredRecords.EncodeState(state))));
        var stored = new StoredMessage(new LocalMessageId(seq), message.Conversation, record.MessageId, record.SenderDeviceId, record.SenderUsername,
            record.IsOutgoing, record.SentAt, record.ReceivedAt, record.ExpiresAt, message.Envelope.Content, message.Envelope.FrankingKey, state)
        {
            Record = record,
        };
        SaveConversation(conversation with
        {
            LastActivityAt = now > conversation.LastActivityAt ? now : conversation.LastActivityAt,
            UnreadCount = conversation.UnreadCount + (state.Read ? 0 : 1),
        });
        _changes.Index.Add(IndexChange.Upsert(IndexEntryOf(stored)));
        return stored;
    }

    /// <summary>The message with local id <paramref name="id"/>, as this transaction sees it.</summary>
    public StoredMessage? GetMessage(LocalMessageId id) => _store.ReadMessage(_connection, _transaction, id);

    /// <summary>The message a sender gave <paramref name="messageId"/> in a conversation, as this transaction sees it.</summary>
    public StoredMessage? FindMessage(ConversationId conversation, string messageId)
        => _store.FindMessage(_connection, _transaction, conversation, messageId);

    /// <summary>Replaces a message's state (edits, deletion for everyone, reactions, receipts, delivery status).
    /// When the new state is deleted, the content itself is removed from the store.</summary>
    public StoredMessage UpdateMessage(StoredMessage message, MessageState state)
    {
        ArgumentNullException.ThrowIfNull(message);
        ArgumentNullException.ThrowIfNull(state);
        var record = message.Record ?? throw new ArgumentException("The message was not read from this store.", nameof(message));
        byte[] rowId = RowId.Of(message.LocalId.Value, message.Conversation);
        var updated = message with { State = state };
        if (state.Deleted)
        {
            // Delete for everyone: the text, edits, attachment reference and reactions go; the row stays as a tombstone.
            state = state with { EditedText = null, Reactions = [] };
            record = record with { Envelope = null };
            updated = updated with { Content = null, FrankingKey = null, State = state, Record = record };
            _changes.Shred = true;
            Execute("UPDATE messages SET record = $rec WHERE seq = $s;", ("$s", message.LocalId.Value),
                ("$rec", Cipher.Seal(StoreSchema.Messages, "record", rowId, StoredRecords.EncodeMessage(record))));
            DeleteAttachmentsOf([message.LocalId.Value]);
        }
        Execute("UPDATE messages SET state = $st WHERE seq = $s;", ("$s", message.LocalId.Value),
            ("$st", Cipher.Seal(StoreSchema.Messages, "state", rowId, StoredRecords.EncodeState(state))));
        if (!message.State.Read && state.Read && !message.IsOutgoing && GetConversation(message.Conversation) is { UnreadCount: > 0 } c)
        {
            SaveConversation(c with { UnreadCount = c.UnreadCount - 1 });
        }
        _changes.Index.Add(IndexChange.Upsert(IndexEntryOf(updated)));
        return updated;
    }

    /// <summary>Deletes a message from this device only (with its attachments and their files).</summary>
    public void DeleteMessage(LocalMessageId id) => DeleteMessages([id.Value], adjustUnread: true);

    /// <summary>Marks every unread incoming message of a conversation read; returns them (to send read receipts).</summary>
    public IReadOnlyList<StoredMessage> MarkConversationRead(ConversationId id)
    {
        var conversation = GetConversation(id) ?? throw new InvalidOperationException($"Conversation {id} does not exist.");
        var marked = new List<StoredMessage>();
        if (conversation.UnreadCount == 0)
        {
            return marked;
        }
        var unread = new List<StoredMessage>();
        using (var command = Command("SELECT seq, record, state FROM messages WHERE conversation = $c ORDER BY seq DESC;", ("$c", id.ToBytes())))
        using (var reader = command.ExecuteReader())
        {
            while (unread.Count < conversation.UnreadCount && reader.Read())
            {
                var message = _store.DecodeMessageRow(reader.GetInt64(0), id, (byte[])reader[1], (byte[])reader[2]);
                if (!message.IsOutgoing && !message.State.Read)
                {
                    unread.Add(message);
                }
            }
        }
        foreach (var message in unread)
        {
            marked.Add(UpdateMessage(message, message.State with { Read = true }));
        }
        if (GetConversation(id) is { UnreadCount: not 0 } after)
        {
            SaveConversation(after with { UnreadCount = 0 });
        }
        return marked;
    }

    internal List<string> DeleteMessages(IReadOnlyCollection<long> seqs, bool adjustUnread)
    {
        var files = DeleteAttachmentsOf(seqs);
        foreach (long seq in seqs)
        {
            if (adjustUnread && GetMessage(new LocalMessageId(seq)) is { IsOutgoing: false, State.Read: false } m
                && GetConversation(m.Conversation) is { UnreadCount: > 0 } c)
            {
                SaveConversation(c with { UnreadCount = c.UnreadCount - 1 });
            }
            Execute("DELETE FROM messages WHERE seq = $s;", ("$s", seq));
            _changes.Shred = true;
            _changes.Index.Add(IndexChange.Remove(seq));
        }
        return files;
    }

    internal static IndexEntry IndexEntryOf(StoredMessage message)
        => new(message.LocalId.Value, message.Conversation, message.IsOutgoing ? null : message.SenderUsername, message.SearchableText, message.ExpiresAt,
            !message.IsOutgoing && !message.State.Read);

    // ---- Completion ---------------------------------------------------------------------------

    /// <summary>Runs <paramref name="action"/> after a successful commit (e.g. acknowledge a delivery to the server).</summary>
    public void OnCommitted(Action action) => (_onCommitted ??= []).Add(action ?? throw new ArgumentNullException(nameof(action)));

    /// <summary>Runs <paramref name="action"/> if the transaction rolls back (e.g. drop an in-memory MLS group that ran ahead).</summary>
    public void OnRolledBack(Action action) => (_onRolledBack ??= []).Add(action ?? throw new ArgumentNullException(nameof(action)));

    /// <summary>Makes every write durable at once, then updates the store's caches and index and runs the
    /// <see cref="OnCommitted"/> actions.</summary>
    public void Commit()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_completed)
        {
            throw new InvalidOperationException("The transaction has already completed.");
        }
        _transaction.Commit();
        _completed = true;
        if (_changes.Shred)
        {
            // secure_delete zeroed the freed cells in the pages; move those pages out of the WAL and empty
            // it, so no copy of deleted ciphertext lingers on disk while the store key still opens it.
            using var command = _connection.CreateCommand();
            command.CommandText = "PRAGMA wal_checkpoint(TRUNCATE);";
            command.ExecuteNonQuery();
        }
        _store.Publish(_changes);
        Finish(_onCommitted);
    }

    /// <summary>Rolls back unless committed, and lets the next transaction start.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }
        _disposed = true;
        try
        {
            if (!_completed)
            {
                _completed = true;
                _transaction.Rollback();
                Finish(_onRolledBack);
            }
        }
        finally
        {
            _transaction.Dispose();
            _store.EndTransaction();
        }
    }

    private static void Finish(List<Action>? actions)
    {
        foreach (var action in actions ?? [])
        {
            try
            {
                action();
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Best effort (deleting a file): the transaction's outcome stands either way.
            }
        }
    }

    // ---- SQL helpers --------------------------------------------------------------------------

    private SqliteCommand Command(string sql, params (string Name, object Value)[] parameters)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_completed)
        {
            throw new InvalidOperationException("The transaction has already completed.");
        }
        var command = _connection.CreateCommand();
        command.Transaction = _transaction;
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }
        return command;
    }

    private int Execute(string sql, params (string Name, object Value)[] parameters)
    {
        using var command = Command(sql, parameters);
        return command.ExecuteNonQuery();
    }

    private bool Exists(string sql, params (string Name, object Value)[] parameters)
    {
        using var command = Command(sql, parameters);
        return command.ExecuteScalar() is not null;
    }

    /// <summary>What a committed transaction changes in the store's memory.</summary>
    internal sealed class Changes
    {
        public DeviceIdentity? Identity { get; set; }

        public (string Token, byte[]? Certificate)? Registration { get; set; }

        public Dictionary<ConversationId, Conversation?> Conversations { get; } = [];

        public List<(byte[] RowId, Contact Contact)> Contacts { get; } = [];

        public List<IndexChange> Index { get; } = [];

        /// <summary>Content was deleted: checkpoint and truncate the WAL after the commit.</summary>
        public bool Shred { get; set; }
    }
}
