// Local identifiers of conversations: random, meaningless outside this device's store.
using System.Security.Cryptography;

namespace Parley.Client.Conversations;

/// <summary>A conversation's local id: 16 random bytes, the only thing about a conversation the store
/// keeps in clear. It is not the MLS group id and is never sent to the server.</summary>
public readonly record struct ConversationId(Guid Value)
{
    /// <summary>A fresh random id.</summary>
    public static ConversationId New() => new(new Guid(RandomNumberGenerator.GetBytes(16)));

    /// <summary>Parses the 32 hex digits <see cref="ToString"/> writes.</summary>
    public static ConversationId Parse(string text) => new(Guid.ParseExact(text, "N"));

    /// <summary>The 16 bytes of the id, as the store's row id.</summary>
    public byte[] ToBytes() => Value.ToByteArray();

    /// <summary>Reads the 16-byte form.</summary>
    public static ConversationId FromBytes(ReadOnlySpan<byte> bytes) => new(new Guid(bytes));

    public override string ToString() => Value.ToString("N");
}
