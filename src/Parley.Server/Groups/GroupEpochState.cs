// RFC 9420 §8.1 (GroupContext) and §8.2 (transcript hashes), as the Delivery Service keeps them.
using Parley.Mls.Codec;
using Parley.Mls.Messages;

namespace Parley.Server.Groups;

/// <summary>What the server holds of a group's current epoch: its GroupContext, which every member signs
/// over in a handshake message (RFC 9420 §6.1), and the interim transcript hash, from which the next
/// commit's confirmed transcript hash follows. Both are public: they reveal no more than the commits the
/// server relays. Each epoch's context comes from the GroupInfo its committer signed (the server cannot
/// compute the tree hash without the tree); the transcript hash and epoch the server checks itself.</summary>
public sealed record GroupEpochState(GroupContext Context, byte[] InterimTranscriptHash)
{
    /// <summary>The context's encoding, as stored.</summary>
    public byte[] ContextBytes() => TlsWriter.Encode(Context.Encode);

    /// <summary>The stored form back; null when either part is absent (a group created before the server kept it).</summary>
    public static GroupEpochState? FromStored(byte[]? context, byte[]? interim)
        => context is null || interim is null ? null : new GroupEpochState(TlsReader.Decode(context, GroupContext.Decode), interim);
}
