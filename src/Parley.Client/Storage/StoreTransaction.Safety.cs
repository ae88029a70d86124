// Writes for abuse reports and blocking: a received message's delivery stamp, and the block list.
using System.Text;
using Parley.Client.Messages;

namespace Parley.Client.Storage;

public sealed partial class StoreTransaction
{
    /// <summary>Keeps the server's delivery stamp with a received message (deleted with the message).</summary>
    public void SaveStamp(StoredMessage message, byte[] stamp)
    {
        ArgumentNullException.ThrowIfNull(message);
        ArgumentNullException.ThrowIfNull(stamp);
        byte[] rowId = RowId.Of(message.LocalId.Value, message.Conversation);
        Execute("INSERT INTO message_stamps (message_seq, record) VALUES ($s, $r) ON CONFLICT (message_seq) DO UPDATE SET record = excluded.record;",
            ("$s", message.LocalId.Value), ("$r", Cipher.Seal(StoreSchema.MessageStamps, "record", rowId, stamp)));
    }

    /// <summary>Adds <paramref name="username"/> to the local block list, or with <paramref name="blocked"/> false removes it.</summary>
    public void SetBlocked(string username, bool blocked)
    {
        ArgumentException.ThrowIfNullOrEmpty(username);
        byte[] index = _store.BlockIndex(username);
        if (blocked)
        {
            Execute("INSERT INTO blocks (ref_index, record) VALUES ($i, $r) ON CONFLICT (ref_index) DO NOTHING;",
                ("$i", index), ("$r", Cipher.Seal(StoreSchema.Blocks, "record", index, Encoding.UTF8.GetBytes(username))));
        }
        else
        {
            Execute("DELETE FROM blocks WHERE ref_index = $i;", ("$i", index));
        }
    }
}
