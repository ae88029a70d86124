using Parley.Mls.Crypto;
using Parley.Mls.Messages;
using Parley.Server.Accounts;
using Parley.Server.Devices;
using Parley.Server.Groups;

namespace Parley.Server.Channels;

/// <summary>What the group rules need to know about a private channel while deciding on one submission, read by the
/// storage engine inside the submission's transaction (see <see cref="IGroupRuleContext.Channel"/>).</summary>
/// <param name="Admins">The channel's admin accounts before the submission.</param>
/// <param name="SenderIsAdmin">Whether the sending device's account is one of them.</param>
/// <param name="AccountsByUsername">The accounts of the usernames a new parley_channel extension in the submission names
/// (usernames without an account are absent).</param>
/// <param name="JoinRequesters">For each KeyPackageRef (hex) of a pseudonymous key package the submission adds: the
/// active device whose pending, unexpired join request carried it.</param>
/// <param name="MaxMembers">Most members the channel's roster may hold (channels are larger than groups).</param>
public sealed record ChannelRuleFacts(
    IReadOnlySet<AccountId> Admins,
    bool SenderIsAdmin,
    IReadOnlyDictionary<string, AccountId> AccountsByUsername,
    IReadOnlyDictionary<string, DeviceId> JoinRequesters,
    int MaxMembers)
{
    /// <summary>The device that asked to join with the key package of <paramref name="keyPackageRef"/>, or null.</summary>
    public DeviceId? JoinRequester(ReadOnlySpan<byte> keyPackageRef)
        => JoinRequesters.TryGetValue(Convert.ToHexString(keyPackageRef), out DeviceId device) ? device : null;

    /// <summary>What an engine must look up for <paramref name="submission"/> beyond the admin set: the usernames named by
    /// parley_channel extensions in GroupContextExtensions proposals, and the KeyPackageRefs of pseudonymous Adds (proposals
    /// included by reference are found with <paramref name="findProposal"/>).</summary>
    public static (IReadOnlyList<string> Usernames, IReadOnlyList<byte[]> KeyPackageRefs) Lookups(GroupSubmission submission,
        ushort cipherSuite, Func<byte[], (Proposal Proposal, uint SenderLeaf)?> findProposal)
    {
        ArgumentNullException.ThrowIfNull(submission);
        ArgumentNullException.ThrowIfNull(findProposal);
        var usernames = new List<string>();
        var refs = new List<byte[]>();
        foreach (Proposal proposal in submission.Proposals(findProposal))
        {
            switch (proposal)
            {
                case GroupContextExtensions gce
                    when gce.Extensions.FirstOrDefault(e => e.Type == ChannelExtension.Type) is { } extension
                         && ChannelExtension.TryDecode(extension.Data, out ChannelExtension? channel, out _):
                    usernames.AddRange(channel!.Admins);
                    break;
                case Add add when PseudonymousCredential.IsPseudonymous(add.KeyPackage.LeafNode)
                                  && CipherSuite.TryGet(cipherSuite, out CipherSuite? suite):
                    refs.Add(add.KeyPackage.Ref(suite!));
                    break;
            }
        }
        return (usernames.Distinct(StringComparer.Ordinal).ToList(), refs);
    }
}
