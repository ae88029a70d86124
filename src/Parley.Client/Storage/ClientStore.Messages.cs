// The history of one device, read back: pages of messages, lookups and search, and the row readers the
// reads and the transactions share (docs/client-envelope.md, "Local store").
using Parley.Content;
using Microsoft.Data.Sqlite;
using Parley.Client.Attachments;
using Parley.Client.Conversations;
using Parley.Client.Messages;
using Parley.Client.Search;

namespace Parley.Client.Storage;

public sealed partial class ClientStore
{
    // ---- Messages ---------------------------------------------------------------------------

    /// <summary>Up to <paramref name="limit"/> messages of a conversation older than <paramref name="before"/>
    /// (or the newest), oldest first; expired messages are left out even before the store deletes them.</summary>
    public IReadOnlyList<StoredMessage> GetMessages(ConversationId conversation, LocalMessageId? before = null, int limit = 50)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(limit);
        var now = Time.GetUtcNow();
        using var connection = OpenReader();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT seq, record, state FROM messages WHERE conversation = $c AND seq < $before ORDER BY seq DESC;";
        command.Parameters.AddWithValue("$c", conversation.ToBytes());
        command.Parameters.AddWithValue("$before", before?.Value ?? long.MaxValue);
        var messages = new List<StoredMessage>();
        using (var reader = command.ExecuteReader())
        {
            while (messages.Count < limit && reader.Read())
            {
                var message = DecodeMessageRow(reader.GetInt64(0), conversation, (byte[])reader[1], (byte[])reader[2]);
                if (!IsExpired(message, now))
                {
                    messages.Add(message);
                }
            }
        }
        messages.Reverse();
        return messages;
    }

    /// <summary>The messages of a conversation at positions <paramref name="index"/> to <paramref name="index"/> +
    /// <paramref name="count"/> - 1, oldest first, where position 0 is the oldest stored message (a page of a list that
    /// shows the whole history without reading it all). Expired messages keep their position until the store deletes
    /// them but are left out, so a page can hold fewer than <paramref name="count"/>.</summary>
    public IReadOnlyList<StoredMessage> GetMessagesAt(ConversationId conversation, int index, int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        var now = Time.GetUtcNow();
        using var connection = OpenReader();
        using var command = connection.CreateCommand();
        // The offset walks the (conversation, seq) index only: rows before the page are never decrypted.
        command.CommandText = "SELECT seq, record, state FROM messages WHERE conversation = $c ORDER BY seq LIMIT $n OFFSET $i;";
        command.Parameters.AddWithValue("$c", conversation.ToBytes());
        command.Parameters.AddWithValue("$n", count);
        command.Parameters.AddWithValue("$i", index);
        var messages = new List<StoredMessage>(count);
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            var message = DecodeMessageRow(reader.GetInt64(0), conversation, (byte[])reader[1], (byte[])reader[2]);
            if (!IsExpired(message, now))
            {
                messages.Add(message);
            }
        }
        return messages;
    }

    /// <summary>The position (as <see cref="GetMessagesAt"/> counts) of the message a sender gave
    /// <paramref name="messageId"/> in <paramref name="conversation"/>, or null when there is none.</summary>
    public int? PositionOf(ConversationId conversation, string messageId)
    {
        ArgumentNullException.ThrowIfNull(messageId);
        using var connection = OpenReader();
        if (Unexpired(FindMessage(connection, null, conversation, messageId)) is not { } message)
        {
            return null;
        }
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT count(*) FROM messages WHERE conversation = $c AND seq < $s;";
        command.Parameters.AddWithValue("$c", conversation.ToBytes());
        command.Parameters.AddWithValue("$s", message.LocalId.Value);
        return checked((int)(long)command.ExecuteScalar()!);
    }

    /// <summary>The message with local id <paramref name="id"/>, or null (also when it expired).</summary>
    public StoredMessage? GetMessage(LocalMessageId id)
    {
        using var connection = OpenReader();
        return Unexpired(ReadMessage(connection, null, id));
    }

    /// <summary>The message a sender gave <paramref name="messageId"/> in <paramref name="conversation"/>, or null
    /// (also when it expired).</summary>
    public StoredMessage? FindMessage(ConversationId conversation, string messageId)
    {
        using var connection = OpenReader();
        return Unexpired(FindMessage(connection, null, conversation, messageId));
    }

    /// <summary>How many messages the store holds, in one conversation or in all.</summary>
    public long CountMessages(ConversationId? conversation = null)
    {
        using var connection = OpenReader();
        using var command = connection.CreateCommand();
        if (conversation is { } c)
        {
            command.CommandText = "SELECT count(*) FROM messages WHERE conversation = $c;";
            command.Parameters.AddWithValue("$c", c.ToBytes());
        }
        else
        {
            command.CommandText = "SELECT count(*) FROM messages;";
        }
        return (long)command.ExecuteScalar()!;
    }

    /// <summary>Full-text search over the decrypted history (every term as a word prefix), newest first, without
    /// the messages of blocked accounts (<see cref="BlockedUsernames"/>) and expired ones; waits for the background
    /// index on first use. Nothing of the query or the index touches the disk.</summary>
    public Task<IReadOnlyList<SearchHit>> SearchAsync(string text, ConversationId? conversation = null, int limit = 50,
        CancellationToken cancellationToken = default)
        => _index.SearchAsync(text, conversation, BlockedUsernames, limit, Time.GetUtcNow(), cancellationToken);

    // ---- Shared row readers (used by reads and by transactions) -------------------------------

    internal StoredMessage? ReadMessage(SqliteConnection connection, SqliteTransaction? transaction, LocalMessageId id)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "SELECT conversation, record, state FROM messages WHERE seq = $s;";
        command.Parameters.AddWithValue("$s", id.Value);
        using var reader = command.ExecuteReader();
        return reader.Read() ? DecodeMessageRow(id.Value, ConversationId.FromBytes((byte[])reader[0]), (byte[])reader[1], (byte[])reader[2]) : null;
    }

    internal StoredMessage? FindMessage(SqliteConnection connection, SqliteTransaction? transaction, ConversationId conversation, string messageId)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "SELECT seq, record, state FROM messages WHERE ref_index = $r;";
        command.Parameters.AddWithValue("$r", MessageIndex(conversation, messageId));
        using var reader = command.ExecuteReader();
        if (!reader.Read())
        {
            return null;
        }
        var message = DecodeMessageRow(reader.GetInt64(0), conversation, (byte[])reader[1], (byte[])reader[2]);
        // The index is in clear: a row whose index was swapped in decrypts fine but names another id.
        return message.MessageId == messageId ? message : throw new StoreIntegrityException(StoreSchema.Messages, "ref_index");
    }

    internal bool IsDeliveryProcessed(SqliteConnection connection, SqliteTransaction? transaction, string deliveryId)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "SELECT 1 FROM deliveries WHERE ref_index = $r;";
        command.Parameters.AddWithValue("$r", _cipher.BlindIndex("delivery", deliveryId));
        return command.ExecuteScalar() is not null;
    }

    internal byte[] MessageIndex(ConversationId conversation, string messageId)
    {
        byte[] value = new byte[16 + System.Text.Encoding.UTF8.GetByteCount(messageId)];
        conversation.Value.TryWriteBytes(value);
        System.Text.Encoding.UTF8.GetBytes(messageId, value.AsSpan(16));
        return _cipher.BlindIndex("message", value);
    }

    /// <summary>Every message record with its state, oldest first, without decoding envelopes (what a backup copies);
    /// messages past their expiry are left out.</summary>
    internal IEnumerable<(ConversationId Conversation, MessageRecord Record, MessageState State)> ReadMessageRecords()
    {
        var now = Time.GetUtcNow();
        using var connection = OpenReader();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT seq, conversation, record, state FROM messages ORDER BY seq;";
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            long seq = reader.GetInt64(0);
            var conversation = ConversationId.FromBytes((byte[])reader[1]);
            byte[] rowId = RowId.Of(seq, conversation);
            var record = StoredRecords.DecodeMessage(_cipher.Open(StoreSchema.Messages, "record", rowId, (byte[])reader[2]));
            if (record.ExpiresAt is { } expires && expires <= now)
            {
                continue;
            }
            yield return (conversation, record, StoredRecords.DecodeState(_cipher.Open(StoreSchema.Messages, "state", rowId, (byte[])reader[3])));
        }
    }

    internal StoredMessage DecodeMessageRow(long seq, ConversationId conversation, byte[] recordCell, byte[] stateCell)
    {
        byte[] rowId = RowId.Of(seq, conversation);
        var record = StoredRecords.DecodeMessage(_cipher.Open(StoreSchema.Messages, "record", rowId, recordCell));
        var state = StoredRecords.DecodeState(_cipher.Open(StoreSchema.Messages, "state", rowId, stateCell));
        return MessageOf(seq, conversation, record, state);
    }

    internal static StoredMessage MessageOf(long seq, ConversationId conversation, MessageRecord record, MessageState state)
    {
        MessageContent? content = null;
        byte[]? franking = null;
        if (record.Envelope is { } envelope)
        {
            try
            {
                var decoded = ContentEnvelope.Decode(envelope);
                content = decoded.Content;
                franking = decoded.FrankingKey;
            }
            catch (EnvelopeFormatException e)
            {
                content = new UnsupportedContent(0, 0, e.Message);
            }
        }
        return new StoredMessage(new LocalMessageId(seq), conversation, record.MessageId, record.SenderDeviceId, record.SenderUsername,
            record.IsOutgoing, record.SentAt, record.ReceivedAt, record.ExpiresAt, content, franking, state)
        {
            Record = record,
        };
    }

    internal OutboxItem DecodeOutboxRow(long seq, ConversationId conversation, byte[] cell)
        => StoredRecords.DecodeOutbox(new OutboxId(seq), conversation, _cipher.Open(StoreSchema.Outbox, "record", RowId.Of(seq, conversation), cell));

    internal List<StoredAttachment> ReadAttachments(SqliteCommand command)
    {
        var list = new List<StoredAttachment>();
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            var id = new Guid((byte[])reader[0]);
            long? message = reader.IsDBNull(1) ? null : reader.GetInt64(1);
            byte[] plain = _cipher.Open(StoreSchema.Attachments, "record", RowId.Of(id, message ?? 0), (byte[])reader[2]);
            list.Add(StoredRecords.DecodeAttachment(new AttachmentId(id), message is { } m ? new LocalMessageId(m) : null, plain));
        }
        return list;
    }
}
