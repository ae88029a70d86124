// RFC 9420 §7.8 (leaf node index) and Parley's AccountBinding: who is in a group, by account.
using Parley.Client.Conversations;
using Parley.Mls.Group;
using Parley.Mls.Messages;
using Parley.Mls.Tree;

namespace Parley.Client.Groups;

/// <summary>One leaf of a group as Parley reads it: the device, its account and the leaf node.</summary>
/// <param name="Leaf">The leaf index.</param>
/// <param name="DeviceId">The device id (the basic credential's identity).</param>
/// <param name="Binding">The account binding the leaf carries, or null when it has none.</param>
/// <param name="Node">The leaf node.</param>
public sealed record RosterLeaf(LeafIndex Leaf, string DeviceId, AccountBinding? Binding, LeafNode Node)
{
    /// <summary>The account name, or null when the leaf carries no binding.</summary>
    public string? Username => Binding?.Username;
}

/// <summary>Reads a group's members from its ratchet tree.</summary>
public static class GroupRoster
{
    /// <summary>Every non-blank leaf of <paramref name="group"/>.</summary>
    public static IReadOnlyList<RosterLeaf> Leaves(MlsGroup group)
    {
        ArgumentNullException.ThrowIfNull(group);
        var nodes = group.ExportRatchetTree();
        var leaves = new List<RosterLeaf>();
        for (int i = 0; i < nodes.Count; i += 2)
        {
            if (nodes[i]?.Leaf is { } leaf)
            {
                leaves.Add(new RosterLeaf(new LeafIndex((uint)(i / 2)), DeviceIdOf(leaf), AccountBinding.Of(leaf), leaf));
            }
        }
        return leaves;
    }

    /// <summary>The leaf at <paramref name="index"/>, or null when blank.</summary>
    public static RosterLeaf? At(MlsGroup group, LeafIndex index)
        => Leaves(group).FirstOrDefault(l => l.Leaf == index);

    /// <summary>The accounts in the group with their devices, ordered by name.</summary>
    public static IReadOnlyList<ConversationMember> Members(MlsGroup group)
        => Leaves(group)
            .Where(l => l.Username is not null)
            .GroupBy(l => l.Username!, StringComparer.Ordinal)
            .OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => new ConversationMember(g.Key, g.Select(l => l.DeviceId).ToArray()))
            .ToArray();

    /// <summary>The device id a leaf's basic credential names (ASCII), or "" for other credentials.</summary>
    public static string DeviceIdOf(LeafNode leaf)
    {
        ArgumentNullException.ThrowIfNull(leaf);
        return leaf.Credential is { Type: CredentialType.Basic, Identity: { } identity }
            ? System.Text.Encoding.ASCII.GetString(identity)
            : "";
    }
}
