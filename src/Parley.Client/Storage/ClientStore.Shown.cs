// What this device has already shown a person, so that two views of one device (`parley listen` running, then
// `parley receive`) do not show the same message twice. Kept as one local sequence number in the meta table.
using System.Buffers.Binary;
using Parley.Client.Messages;

namespace Parley.Client.Storage;

public sealed partial class ClientStore
{
    private const string ShownMeta = "shown_through";

    /// <summary>The newest message shown to a person so far (by local id); every message up to it counts as shown.</summary>
    public LocalMessageId ShownThrough
    {
        get
        {
            using var connection = OpenReader();
            using var command = connection.CreateCommand();
            command.CommandText = "SELECT value FROM meta WHERE name = $n;";
            command.Parameters.AddWithValue("$n", ShownMeta);
            return new LocalMessageId(command.ExecuteScalar() is byte[] { Length: 8 } value ? BinaryPrimitives.ReadInt64BigEndian(value) : 0);
        }
    }

    /// <summary>Records that messages up to <paramref name="message"/> were shown (the marker only moves forward).</summary>
    public async Task MarkShownAsync(LocalMessageId message, CancellationToken cancellationToken = default)
    {
        using var transaction = await BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        if (message.Value <= ShownThrough.Value)
        {
            return;
        }
        byte[] value = new byte[8];
        BinaryPrimitives.WriteInt64BigEndian(value, message.Value);
        WriteMeta(_writer, transaction.Sqlite, ShownMeta, value);
        transaction.Commit();
    }
}
