// RFC 9420 §8.6 (resumption PSK), §11.2 (reinitialization) and §11.3 (subgroup branching): a new
// group tied to an existing one by a resumption PSK of usage reinit or branch.
using Parley.Mls.Messages;
using Parley.Mls.Tree;

namespace Parley.Mls.Group;

/// <summary>The group a new group is reinitialized or branched from, as the new group's creator or a
/// joiner holds it. Resumption PSKs of usage reinit or branch resolve only through such a link, never
/// from the PSK store, so they cannot be used in other contexts (RFC 9420 §11.2, §11.3).</summary>
internal sealed class ResumptionLink(ResumptionPskUsage usage, GroupState source, PreSharedKeyId? psk = null)
{
    /// <summary>ReInit or Branch.</summary>
    public ResumptionPskUsage Usage { get; } = usage;

    /// <summary>The old group's state: it holds the resumption PSK, the ReInit and the members.</summary>
    public GroupState Source { get; } = source;

    /// <summary>When creating the new group, the PreSharedKeyID its first Commit injects.</summary>
    public PreSharedKeyId? Psk { get; } = psk;

    /// <summary>Checks the PSKs of a Welcome joined through this link (RFC 9420 §12.4.3.1): exactly one,
    /// a resumption PSK of this usage naming the old group at an epoch the link accepts.</summary>
    public void CheckWelcomePsks(IReadOnlyList<PreSharedKeyId> psks)
    {
        if (psks.Count != 1)
        {
            throw new MlsProtocolException(MlsError.LinkedPskInvalid, $"A Welcome into a {Name} group must carry exactly one PSK, the {Usage} resumption PSK.");
        }
        var psk = psks[0];
        if (psk.Type != PskType.Resumption || psk.Usage != Usage)
        {
            throw new MlsProtocolException(MlsError.LinkedPskInvalid, $"The Welcome's PSK is not a resumption PSK with usage {Usage}.");
        }
        if (!psk.PskGroupId!.AsSpan().SequenceEqual(Source.GroupId))
        {
            throw new MlsProtocolException(MlsError.LinkedPskInvalid, $"The Welcome's {Usage} PSK names another group than the one it is joined from.");
        }
        _ = TreeAt(psk.PskEpoch);
    }

    /// <summary>The old group's tree at <paramref name="epoch"/>, the epoch a link may name: for a
    /// reinit the epoch the ReInit Commit started; for a branch the current or, while its keys are
    /// kept, the previous epoch.</summary>
    public RatchetTree TreeAt(ulong epoch)
    {
        if (Usage == ResumptionPskUsage.ReInit)
        {
            if (Source.ReInit is null)
            {
                throw new MlsProtocolException(MlsError.NoReInit, "The group was not closed by a ReInit: there is no group to reinitialize.");
            }
            return epoch == Source.Epoch
                ? Source.Tree
                : throw new MlsProtocolException(MlsError.LinkedPskInvalid, $"A reinit PSK must name epoch {Source.Epoch}, the epoch the ReInit Commit started, not {epoch}.");
        }
        if (epoch == Source.Epoch)
        {
            return Source.Tree;
        }
        if (Source.Previous is { } previous && previous.Context.Epoch == epoch)
        {
            return previous.Tree;
        }
        throw new MlsProtocolException(MlsError.LinkedPskInvalid, $"A branch PSK of epoch {epoch} cannot be checked: this member is at epoch {Source.Epoch}.");
    }

    /// <summary>Checks the group a Welcome leads into against the old group (RFC 9420 §12.4.3.1): epoch 1;
    /// for a reinit, the parameters of the ReInit and every old member present; for a branch, the same
    /// version and cipher suite and only old members.</summary>
    public void VerifyNewGroup(PreSharedKeyId psk, GroupContext context, RatchetTree tree, ICredentialValidator validator)
    {
        if (context.Epoch != 1)
        {
            throw new MlsProtocolException(MlsError.LinkedParametersMismatch, $"A Welcome into a {Name} group must be for epoch 1, not {context.Epoch}.");
        }
        var oldTree = TreeAt(psk.PskEpoch);
        if (Usage == ResumptionPskUsage.ReInit)
        {
            var reInit = Source.ReInit!;
            if (reInit.Version != ProtocolVersion.Mls10 || context.CipherSuite != reInit.CipherSuite
                || !context.GroupId.AsSpan().SequenceEqual(reInit.GroupId) || !SameExtensions(context.Extensions, reInit.Extensions))
            {
                throw new MlsProtocolException(MlsError.LinkedParametersMismatch, "The reinitialized group's version, cipher suite, group id or extensions differ from the ReInit proposal.");
            }
            CheckAllPresent(oldTree, tree, validator);
        }
        else
        {
            if (context.CipherSuite != Source.Suite.Id)
            {
                throw new MlsProtocolException(MlsError.LinkedParametersMismatch, $"A branch must keep the cipher suite {Source.Suite.Id}, not change it to {context.CipherSuite}.");
            }
            CheckSubset(tree, oldTree, validator);
        }
    }

    /// <summary>Checks that every leaf of <paramref name="newTree"/> is the client of some leaf of the old tree.</summary>
    public static void CheckSubset(RatchetTree newTree, RatchetTree oldTree, ICredentialValidator validator)
    {
        foreach (var (index, leaf) in newTree.EnumerateLeaves())
        {
            if (!oldTree.EnumerateLeaves().Any(old => validator.IsSameClient(old.Leaf.Credential, leaf.Credential)))
            {
                throw new MlsProtocolException(MlsError.LinkedMembersMismatch, $"The member at {index} of the new group was not a member of the group it branches from.");
            }
        }
    }

    /// <summary>Checks that every member of the old tree appears in <paramref name="newTree"/>.</summary>
    public static void CheckAllPresent(RatchetTree oldTree, RatchetTree newTree, ICredentialValidator validator)
    {
        foreach (var (index, leaf) in oldTree.EnumerateLeaves())
        {
            if (!newTree.EnumerateLeaves().Any(n => validator.IsSameClient(leaf.Credential, n.Leaf.Credential)))
            {
                throw new MlsProtocolException(MlsError.LinkedMembersMismatch, $"The old group's member at {index} is missing from the reinitialized group.");
            }
        }
    }

    private static bool SameExtensions(IReadOnlyList<Extension> a, IReadOnlyList<Extension> b)
        => a.Count == b.Count && a.Zip(b).All(p => p.First.Equals(p.Second));

    private string Name => Usage == ResumptionPskUsage.ReInit ? "reinitialized" : "branched";
}
