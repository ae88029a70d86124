// RFC 9420 §12.2 (which proposals may appear together in a Commit) and §12.4.3.2 (what an external
// Commit may contain). These rules need no group secrets, so a delivery service checks them too.
using Parley.Mls.Messages;

namespace Parley.Mls.Group;

/// <summary>The composition rules of a Commit's proposal list, shared by members and the delivery service.</summary>
public static class CommitComposition
{
    /// <summary>Throws <see cref="MlsProtocolException"/> when a Commit's proposals, given as (proposal type,
    /// whether it was included by reference), may not appear together. <paramref name="external"/> is true for
    /// a Commit whose sender is new_member_commit: exactly one ExternalInit, at most one Remove, otherwise only
    /// PSKs, all by value. For a member's Commit: no ExternalInit, at most one GroupContextExtensions, and a
    /// ReInit only on its own.</summary>
    public static void Check(IReadOnlyList<(ushort Type, bool ByReference)> proposals, bool external)
    {
        ArgumentNullException.ThrowIfNull(proposals);
        int gce = 0, reInit = 0, externalInit = 0, removes = 0;
        foreach (var (type, _) in proposals)
        {
            switch (type)
            {
                case ProposalType.GroupContextExtensions: gce++; break;
                case ProposalType.ReInit: reInit++; break;
                case ProposalType.ExternalInit: externalInit++; break;
                case ProposalType.Remove: removes++; break;
            }
        }
        if (external)
        {
            if (externalInit != 1)
            {
                throw new MlsProtocolException(MlsError.ExternalCommitProposalsInvalid, "An external Commit must contain exactly one ExternalInit proposal.");
            }
            if (removes > 1)
            {
                throw new MlsProtocolException(MlsError.ExternalCommitProposalsInvalid, "An external Commit may contain at most one Remove proposal.");
            }
            foreach (var (type, byReference) in proposals)
            {
                if (type is not (ProposalType.ExternalInit or ProposalType.Remove or ProposalType.Psk))
                {
                    throw new MlsProtocolException(MlsError.ExternalCommitProposalsInvalid, $"An external Commit cannot contain a proposal of type {type}.");
                }
                if (byReference)
                {
                    throw new MlsProtocolException(MlsError.ExternalCommitProposalsInvalid, "An external Commit cannot include proposals by reference.");
                }
            }
            return;
        }
        if (externalInit > 0)
        {
            throw new MlsProtocolException(MlsError.ProposalListInvalid, "Only an external Commit may contain an ExternalInit proposal.");
        }
        if (gce > 1)
        {
            throw new MlsProtocolException(MlsError.ProposalListInvalid, "A Commit may contain at most one GroupContextExtensions proposal.");
        }
        if (reInit > 0 && proposals.Count > 1)
        {
            throw new MlsProtocolException(MlsError.ProposalListInvalid, "A ReInit proposal must be the only proposal in its Commit.");
        }
    }
}
