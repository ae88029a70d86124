// Row ids as the AAD of sealed cells: what a cell is bound to, including the clear columns that place it.
using System.Buffers.Binary;
using Parley.Client.Conversations;

namespace Parley.Client.Storage;

/// <summary>Builds the row-id bytes a sealed cell is bound to.</summary>
internal static class RowId
{
    /// <summary>A message or outbox row: its sequence number and its conversation (so neither can be changed).</summary>
    public static byte[] Of(long seq, ConversationId conversation)
    {
        byte[] id = new byte[8 + 16];
        BinaryPrimitives.WriteInt64BigEndian(id, seq);
        conversation.Value.TryWriteBytes(id.AsSpan(8));
        return id;
    }

    /// <summary>An attachment row: its id and the message it belongs to (0 for none).</summary>
    public static byte[] Of(Guid id, long messageSeq)
    {
        byte[] bytes = new byte[16 + 8];
        id.TryWriteBytes(bytes);
        BinaryPrimitives.WriteInt64BigEndian(bytes.AsSpan(16), messageSeq);
        return bytes;
    }
}
