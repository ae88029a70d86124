// Writes of channel records (docs/channels.md, "Client"), in the same transaction as the group state or
// conversation they belong to.
using Parley.Client.Channels;

namespace Parley.Client.Storage;

public sealed partial class StoreTransaction
{
    /// <summary>Inserts or replaces a private channel record.</summary>
    public void SaveChannelRecord(PrivateChannelRecord record) => WriteChannelRecord(ChannelRecordCodec.KeyOf(record), record);

    /// <summary>Inserts or replaces a pending join (with its private keys, sealed).</summary>
    public void SaveChannelRecord(PendingChannelJoin record) => WriteChannelRecord(ChannelRecordCodec.KeyOf(record), record);

    /// <summary>Inserts or replaces a public channel record.</summary>
    public void SaveChannelRecord(PublicChannelRecord record) => WriteChannelRecord(ChannelRecordCodec.KeyOf(record), record);

    /// <summary>Deletes a pending join (its keys are gone once the Welcome is used or the request was denied).</summary>
    public void DeleteChannelRecord(PendingChannelJoin record) => DeleteChannelRecord(ChannelRecordCodec.KeyOf(record));

    /// <summary>Deletes a private channel's record (when its conversation is deleted).</summary>
    public void DeleteChannelRecord(PrivateChannelRecord record) => DeleteChannelRecord(ChannelRecordCodec.KeyOf(record));

    private void WriteChannelRecord(string key, object record)
    {
        byte[] index = _store.ChannelIndex(key);
        byte[] plain = ChannelRecordCodec.Encode(record);
        try
        {
            Execute("INSERT INTO channel_records (ref_index, record) VALUES ($i, $r) ON CONFLICT (ref_index) DO UPDATE SET record = excluded.record;",
                ("$i", index), ("$r", Cipher.Seal(ClientStore.ChannelRecordsTable, "record", index, plain)));
        }
        finally
        {
            System.Security.Cryptography.CryptographicOperations.ZeroMemory(plain);
        }
    }

    private void DeleteChannelRecord(string key)
    {
        Execute("DELETE FROM channel_records WHERE ref_index = $i;", ("$i", _store.ChannelIndex(key)));
        _changes.Shred = true;
    }
}
