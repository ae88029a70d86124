// RFC 9420 §7.2 (leaf node contents): a member as the roster shows it.
using Parley.Mls.Messages;
using Parley.Mls.Tree;

namespace Parley.Mls.Group;

/// <summary>A member of the group, as the roster lists it.</summary>
public sealed record GroupMember(LeafIndex Index, Credential Credential, byte[] SignatureKey)
{
    public bool Equals(GroupMember? other)
        => other is not null && Index == other.Index && Credential.Equals(other.Credential) && SignatureKey.AsSpan().SequenceEqual(other.SignatureKey);

    public override int GetHashCode() => HashCode.Combine(Index, Credential);
}
