// Importing a long history at once (a restored backup, a linked device's history bundle): one prepared insert for
// every message instead of a statement prepared, and a duplicate check run, per message.
using Microsoft.Data.Sqlite;
using Parley.Client.Conversations;
using Parley.Client.Messages;
using Parley.Client.Search;

namespace Parley.Client.Storage;

public sealed partial class StoreTransaction
{
    /// <summary>Starts adding messages as a backup recorded them (their times, expiry and state kept); dispose it before
    /// the transaction commits.</summary>
    internal MessageImport BeginMessageImport() => new(this);

    /// <summary>Adds messages through one prepared statement. A message whose id its conversation already has is
    /// skipped by the store's unique blind index, not by a query of its own.</summary>
    internal sealed class MessageImport : IDisposable
    {
        private readonly StoreTransaction _transaction;
        private readonly SqliteCommand _insert;
        private readonly SqliteParameter _seq;
        private readonly SqliteParameter _conversation;
        private readonly SqliteParameter _index;
        private readonly SqliteParameter _record;
        private readonly SqliteParameter _state;

        public MessageImport(StoreTransaction transaction)
        {
            _transaction = transaction;
            _insert = transaction.Command(
                "INSERT OR IGNORE INTO messages (seq, conversation, ref_index, record, state) VALUES ($s, $c, $r, $rec, $st);");
            _seq = _insert.Parameters.Add("$s", SqliteType.Integer);
            _conversation = _insert.Parameters.Add("$c", SqliteType.Blob);
            _index = _insert.Parameters.Add("$r", SqliteType.Blob);
            _record = _insert.Parameters.Add("$rec", SqliteType.Blob);
            _state = _insert.Parameters.Add("$st", SqliteType.Blob);
            _insert.Prepare();
        }

        /// <summary>Adds one message; false when the conversation already has a message with that id. The conversation
        /// must exist.</summary>
        public bool Add(ConversationId conversation, MessageRecord record, MessageState state)
        {
            var store = _transaction._store;
            long seq = store.NextMessageSeq();
            byte[] rowId = RowId.Of(seq, conversation);
            _seq.Value = seq;
            _conversation.Value = conversation.ToBytes();
            _index.Value = store.MessageIndex(conversation, record.MessageId);
            _record.Value = store.Cipher.Seal(StoreSchema.Messages, "record", rowId, StoredRecords.EncodeMessage(record));
            _state.Value = store.Cipher.Seal(StoreSchema.Messages, "state", rowId, StoredRecords.EncodeState(state));
            if (_insert.ExecuteNonQuery() == 0)
            {
                return false;
            }
            _transaction._changes.Index.Add(IndexChange.Upsert(IndexEntryOf(ClientStore.MessageOf(seq, conversation, record, state))));
            return true;
        }

        public void Dispose() => _insert.Dispose();
    }
}
