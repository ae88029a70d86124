// RFC 9420 §12.4.3 (GroupInfo), §12.4.3.2 (joining by external commit), §12.1.8.1 (external_pub) and §12.4.3.3 (ratchet_tree):
// what a joiner needs to commit itself into a channel without a Welcome (docs/channels.md, "Joining without an admin").
using Parley.Mls.Codec;
using Parley.Mls.Messages;

namespace Parley.Server.Channels;

/// <summary>The GroupInfo the server keeps for each private channel so that holders of an invite without approval can join by
/// external commit while no admin's device is online.</summary>
public static class ChannelGroupInfo
{
    /// <summary>The GroupInfo as an MLSMessage when it carries both the ratchet tree and external_pub (a joiner needs both),
    /// else null.</summary>
    public static byte[]? Joinable(GroupInfo? groupInfo)
    {
        if (groupInfo is null
            || !groupInfo.Extensions.Any(e => e.Type == ExtensionType.RatchetTree)
            || !groupInfo.Extensions.Any(e => e.Type == ExtensionType.ExternalPub))
        {
            return null;
        }
        return new MlsMessage(groupInfo).ToBytes();
    }
}
