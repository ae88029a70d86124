// A local search result.
using Parley.Client.Conversations;
using Parley.Client.Messages;

namespace Parley.Client.Search;

/// <summary>A message that matched a local search, with a short excerpt around the match (terms in [brackets]).</summary>
public sealed record SearchHit(LocalMessageId Message, ConversationId Conversation, string Snippet);
