// RFC 9420 §12.4.2 ("A client might keep the secret tree for a short time to decrypt late messages in
// the previous epoch"), §9.2 (deletion schedule) and §15.4 (delayed and reordered application messages).
using System.Security.Cryptography;
using Parley.Mls.Codec;
using Parley.Mls.Crypto;
using Parley.Mls.KeySchedule;
using Parley.Mls.Messages;
using Parley.Mls.Tree;

namespace Parley.Mls.Group;

/// <summary>What a member keeps of the epoch before the current one, to decrypt application messages
/// sent in it that arrive after the Commit: its context, tree (for senders' signature keys), secret
/// tree and sender data secret. Handshake messages of a past epoch are never accepted.</summary>
internal sealed class PastEpoch : IDisposable
{
    private bool _disposed;

    // Takes ownership of the secret tree and the sender data secret.
    public PastEpoch(GroupContext context, RatchetTree tree, SecretTree secretTree, byte[] senderDataSecret)
    {
        Context = context;
        Tree = tree;
        SecretTree = secretTree;
        SenderDataSecret = senderDataSecret;
    }

    public GroupContext Context { get; }

    public RatchetTree Tree { get; }

    public SecretTree SecretTree { get; }

    public byte[] SenderDataSecret { get; }

    public void Encode(TlsWriter w)
    {
        Context.Encode(w);
        w.WriteUInt32(Tree.LeafCount);
        Tree.Encode(w);
        SecretTree.Encode(w);
        w.WriteOpaque(SenderDataSecret);
    }

    public static PastEpoch Decode(TlsReader r, CipherSuite suite)
    {
        var context = GroupContext.Decode(r);
        uint leafCount = r.ReadUInt32();
        var tree = RatchetTree.Decode(suite, r);
        if (tree.LeafCount != leafCount || context.CipherSuite != suite.Id)
        {
            throw new MlsDecodeException("The stored previous epoch is inconsistent.");
        }
        var secretTree = SecretTree.Decode(r, suite);
        try
        {
            byte[] senderDataSecret = r.ReadOpaque();
            if (senderDataSecret.Length != suite.HashLength)
            {
                throw new MlsDecodeException("The stored sender data secret has the wrong length.");
            }
            return new PastEpoch(context, tree, secretTree, senderDataSecret);
        }
        catch
        {
            secretTree.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }
        _disposed = true;
        SecretTree.Dispose();
        CryptographicOperations.ZeroMemory(SenderDataSecret);
    }
}
