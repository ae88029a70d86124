// Persisting a member's group state (RFC 9420 §8, §9, §12 state; the format is Parley's own,
// built from the TLS presentation language of RFC 9420 §2.1).
using System.Security.Cryptography;
using Parley.Mls.Codec;
using Parley.Mls.Crypto;
using Parley.Mls.KeySchedule;
using Parley.Mls.Messages;
using Parley.Mls.Tree;

namespace Parley.Mls.Group;

/// <summary>Encodes and decodes <see cref="GroupState"/> (with its pending Commit) so that
/// Encode(Decode(bytes)) == bytes. The encoding holds every secret of the group.</summary>
internal static class GroupStateCodec
{
    // Version 2 added the log of sent messages; version 1 states are still read (with an empty log).
    private const ushort FormatVersion = 2;

    public static byte[] Encode(GroupState state, PendingCommit? pending, SentMessageLog sent)
    {
        var w = new TlsWriter(EstimateSize(state) + (pending is null ? 0 : EstimateSize(pending.State) + pending.MessageBytes.Length));
        try
        {
            w.WriteUInt16(FormatVersion);
            WriteState(w, state);
            w.WriteBool(pending is not null);
            if (pending is not null)
            {
                w.WriteOpaque(pending.MessageBytes);
                WriteSummary(w, pending.Summary);
                WriteState(w, pending.State);
            }
            sent.Encode(w);
            return w.ToArray();
        }
        finally
        {
            w.Clear();
        }
    }

    public static (GroupState State, PendingCommit? Pending, SentMessageLog Sent) Decode(ReadOnlyMemory<byte> data)
    {
        var r = new TlsReader(data);
        ushort version = r.ReadUInt16();
        if (version is not (1 or FormatVersion))
        {
            throw new MlsDecodeException($"Unsupported group state format {version}.");
        }
        var state = ReadState(r);
        try
        {
            PendingCommit? pending = null;
            if (r.ReadBool())
            {
                byte[] message = r.ReadOpaque();
                var summary = ReadSummary(r);
                pending = new PendingCommit(message, ReadState(r), summary);
            }
            SentMessageLog sent;
            try
            {
                sent = version == 1 ? new SentMessageLog(state.Epoch) : SentMessageLog.Decode(r);
                r.EnsureEnd();
            }
            catch
            {
                pending?.Dispose();
                throw;
            }
            return (state, pending, sent);
        }
        catch
        {
            state.Dispose();
            throw;
        }
    }

    private static int EstimateSize(GroupState state) => 8192 + (int)Math.Min(state.Tree.NodeCount * 400L, 1 << 28);

    private static void WriteState(TlsWriter w, GroupState s)
    {
        w.WriteUInt16(s.Suite.Id);
        s.Context.Encode(w);
        w.WriteUInt32(s.Tree.LeafCount);
        s.Tree.Encode(w);
        w.WriteUInt32(s.OwnLeaf.Value);
        byte[] keys = s.PrivateKeys.Encode();
        w.WriteOpaque(keys);
        CryptographicOperations.ZeroMemory(keys);
        w.WriteOpaque(s.SignaturePrivateKey);
        s.Secrets.Encode(w);
        s.SecretTree.Encode(w);
        w.WriteOpaque(s.InterimTranscriptHash);
        w.WriteOpaque(s.ConfirmationTag);
        s.Proposals.Encode(w);
        w.WriteVector(s.ResumptionPsks, static (w2, h) =>
        {
            w2.WriteUInt64(h.Epoch);
            w2.WriteOpaque(h.Psk);
        });
        w.WriteBool(s.Active);
        w.WriteOptional(s.ReInit, static (w2, x) => x.EncodeBody(w2));
        w.WriteOptional(s.Previous, static (w2, p) => p.Encode(w2));
    }

    private static GroupState ReadState(TlsReader r)
    {
        var suite = CipherSuite.TryGet(r.ReadUInt16(), out var s) ? s : throw new MlsDecodeException("Stored group state names an unknown cipher suite.");
        var context = GroupContext.Decode(r);
        if (context.CipherSuite != suite.Id)
        {
            throw new MlsDecodeException("Stored group context names another cipher suite.");
        }
        uint leafCount = r.ReadUInt32();
        var tree = RatchetTree.Decode(suite, r);
        if (tree.LeafCount != leafCount)
        {
            throw new MlsDecodeException("Stored ratchet tree has the wrong width.");
        }
        var ownLeaf = new LeafIndex(r.ReadUInt32());
        TreePrivateKeys? keys = null;
        byte[]? signatureKey = null;
        EpochSecrets? secrets = null;
        SecretTree? secretTree = null;
        ProposalCache? proposals = null;
        var history = new List<(ulong, byte[])>();
        try
        {
            byte[] keyBytes = r.ReadOpaque();
            try
            {
                keys = TreePrivateKeys.Decode(keyBytes);
            }
            finally
            {
                CryptographicOperations.ZeroMemory(keyBytes);
            }
            if (keys.OwnLeaf != ownLeaf || tree.GetLeaf(ownLeaf) is null)
            {
                throw new MlsDecodeException("Stored private keys do not belong to the member's leaf.");
            }
            // An ancestor of the member's leaf in a wider tree is not a node of this one.
            if (keys.Nodes.Any(n => n.Value >= tree.NodeCount))
            {
                throw new MlsDecodeException("Stored private keys name a node outside the ratchet tree.");
            }
            signatureKey = r.ReadOpaque();
            secrets = EpochSecrets.Decode(r, suite);
            secretTree = SecretTree.Decode(r, suite);
            byte[] interim = r.ReadOpaque();
            byte[] tag = r.ReadOpaque();
            proposals = ProposalCache.Decode(r);
            r.ReadVector(inner =>
            {
                while (!inner.AtEnd)
                {
                    history.Add((inner.ReadUInt64(), inner.ReadOpaque()));
                }
                return true;
            });
            bool active = r.ReadBool();
            var reInit = r.ReadOptional(ReInit.DecodeBody);
            var previous = r.ReadOptional(x => PastEpoch.Decode(x, suite));
            var state = new GroupState(suite, context, tree, ownLeaf, keys, signatureKey, secrets, secretTree, interim, tag, proposals, history)
            {
                Active = active,
                ReInit = reInit,
                Previous = previous,
            };
            return state;
        }
        catch
        {
            keys?.Dispose();
            if (signatureKey is not null)
            {
                CryptographicOperations.ZeroMemory(signatureKey);
            }
            secrets?.Dispose();
            secretTree?.Dispose();
            proposals?.Dispose();
            foreach (var (_, psk) in history)
            {
                CryptographicOperations.ZeroMemory(psk);
            }
            throw;
        }
    }

    private static void WriteSummary(TlsWriter w, CommitMessage m)
    {
        m.Sender.Encode(w);
        w.WriteOptional(m.SenderCredential, static (w2, c) => c.Encode(w2));
        w.WriteOpaque(m.AuthenticatedData);
        w.WriteUInt64(m.Epoch);
        w.WriteUInt64(m.NewEpoch);
        w.WriteVector(m.Proposals, static (w2, p) =>
        {
            p.Proposal.Encode(w2);
            p.Sender.Encode(w2);
            w2.WriteOptional(p.Ref, static (w3, x) => w3.WriteOpaque(x));
        });
        w.WriteVector(m.AddedMembers, static (w2, l) => w2.WriteUInt32(l.Value));
        w.WriteVector(m.RemovedMembers, static (w2, x) =>
        {
            w2.WriteUInt32(x.Leaf.Value);
            x.Credential.Encode(w2);
        });
        w.WriteBool(m.SelfRemoved);
        w.WriteOptional(m.ReInit, static (w2, x) => x.EncodeBody(w2));
    }

    private static CommitMessage ReadSummary(TlsReader r)
        => new(
            Sender.Decode(r),
            r.ReadOptional(Credential.Decode),
            r.ReadOpaque(),
            r.ReadUInt64(),
            r.ReadUInt64(),
            r.ReadList(static r2 => new CommittedProposal(Proposal.Decode(r2), Sender.Decode(r2), r2.ReadOptional(static r3 => r3.ReadOpaque()))),
            r.ReadList(static r2 => new LeafIndex(r2.ReadUInt32())),
            r.ReadList(static r2 => (new LeafIndex(r2.ReadUInt32()), Credential.Decode(r2))),
            r.ReadBool(),
            r.ReadOptional(ReInit.DecodeBody));
}
