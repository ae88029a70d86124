// RFC 9420 §8 (key schedule state), §8.2 (transcript hashes), §8.6 (resumption PSK), §9 (secret tree)
// and §12 (group evolution): everything one member holds about one group at one epoch.
using System.Security.Cryptography;
using Parley.Mls.Crypto;
using Parley.Mls.KeySchedule;
using Parley.Mls.Messages;
using Parley.Mls.Tree;

namespace Parley.Mls.Group;

/// <summary>A member's view of a group at one epoch. Operations that change the epoch build a new
/// state and swap it in only on success, so a failed operation leaves the old state untouched.</summary>
internal sealed class GroupState : IDisposable
{
    private bool _disposed;
    private bool _secretTreeHandedOver;

    // Takes ownership of every disposable and array passed in.
    public GroupState(
        CipherSuite suite,
        GroupContext context,
        RatchetTree tree,
        LeafIndex ownLeaf,
        TreePrivateKeys privateKeys,
        byte[] signaturePrivateKey,
        EpochSecrets secrets,
        SecretTree secretTree,
        byte[] interimTranscriptHash,
        byte[] confirmationTag,
        ProposalCache proposals,
        List<(ulong Epoch, byte[] Psk)> resumptionPsks)
    {
        Suite = suite;
        Context = context;
        Tree = tree;
        OwnLeaf = ownLeaf;
        PrivateKeys = privateKeys;
        SignaturePrivateKey = signaturePrivateKey;
        Secrets = secrets;
        SecretTree = secretTree;
        InterimTranscriptHash = interimTranscriptHash;
        ConfirmationTag = confirmationTag;
        Proposals = proposals;
        ResumptionPsks = resumptionPsks;
    }

    public CipherSuite Suite { get; }

    public GroupContext Context { get; }

    public RatchetTree Tree { get; }

    public LeafIndex OwnLeaf { get; }

    public TreePrivateKeys PrivateKeys { get; }

    public byte[] SignaturePrivateKey { get; }

    public EpochSecrets Secrets { get; }

    public SecretTree SecretTree { get; }

    public byte[] InterimTranscriptHash { get; }

    /// <summary>The confirmation tag of the Commit that started this epoch (or of group creation).</summary>
    public byte[] ConfirmationTag { get; }

    public ProposalCache Proposals { get; }

    /// <summary>This group's resumption PSKs by epoch, oldest first, the current epoch last.</summary>
    public List<(ulong Epoch, byte[] Psk)> ResumptionPsks { get; }

    /// <summary>False once this member has been removed, or a ReInit has been committed.</summary>
    public bool Active { get; set; } = true;

    /// <summary>The ReInit committed in the Commit that ended this group, if any.</summary>
    public ReInit? ReInit { get; set; }

    /// <summary>The previous epoch, kept for late application messages; null when not kept.</summary>
    public PastEpoch? Previous { get; set; }

    public byte[] GroupId => Context.GroupId;

    public ulong Epoch => Context.Epoch;

    public LeafNode OwnLeafNode => Tree.GetLeaf(OwnLeaf) ?? throw new MlsProtocolException(MlsError.BlankNode, "This member's leaf is blank.");

    /// <summary>The resumption PSK of this group's <paramref name="epoch"/>, if still held.</summary>
    public byte[]? FindResumptionPsk(ulong epoch)
    {
        foreach (var (e, psk) in ResumptionPsks)
        {
            if (e == epoch)
            {
                return psk;
            }
        }
        return null;
    }

    /// <summary>A copy of the history with <paramref name="epoch"/>'s PSK appended, keeping at most
    /// <paramref name="limit"/> entries.</summary>
    public static List<(ulong Epoch, byte[] Psk)> ExtendHistory(IEnumerable<(ulong Epoch, byte[] Psk)> history, ulong epoch, byte[] psk, int limit)
    {
        var list = history.Where(h => h.Epoch != epoch).Select(h => (h.Epoch, (byte[])h.Psk.Clone())).ToList();
        list.Add((epoch, psk));
        int excess = list.Count - Math.Max(1, limit);
        for (int i = 0; i < excess; i++)
        {
            CryptographicOperations.ZeroMemory(list[i].Item2);
        }
        if (excess > 0)
        {
            list.RemoveRange(0, excess);
        }
        return list;
    }

    /// <summary>Hands this epoch's secret tree over to a <see cref="PastEpoch"/> that the next state keeps;
    /// this state must be disposed afterwards and no longer used.</summary>
    public PastEpoch HandOverAsPastEpoch()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        _secretTreeHandedOver = true;
        return new PastEpoch(Context, Tree, SecretTree, Secrets.SenderDataSecret.ToArray());
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }
        _disposed = true;
        PrivateKeys.Dispose();
        CryptographicOperations.ZeroMemory(SignaturePrivateKey);
        Secrets.Dispose();
        if (!_secretTreeHandedOver)
        {
            SecretTree.Dispose();
        }
        Previous?.Dispose();
        Previous = null;
        Proposals.Dispose();
        foreach (var (_, psk) in ResumptionPsks)
        {
            CryptographicOperations.ZeroMemory(psk);
        }
        ResumptionPsks.Clear();
    }

    public override string ToString() => $"GroupState(epoch {Epoch}, {OwnLeaf})";
}
