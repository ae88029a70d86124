// The kind of conversation a conversation-info envelope announces (docs/client-envelope.md §1).
namespace Parley.Content;

/// <summary>Whether a conversation is a chat between two accounts or a group.</summary>
public enum ConversationKind : byte
{
    /// <summary>A 1:1 chat (two accounts, any number of devices).</summary>
    Direct = 1,

    /// <summary>A group chat.</summary>
    Group = 2,
}
