// RFC 9420 §12.4 (Commit) and §12.4.3.1 (joining by Welcome): the groups the MLS benchmarks run in.
using System.Text;
using Parley.Mls.Codec;
using Parley.Mls.Crypto;
using Parley.Mls.Group;
using Parley.Mls.Messages;

namespace Parley.Mls.Bench;

/// <summary>A group of a given size on a cipher suite (1 unless said), built the cheap way: the creator adds every other
/// member in one Commit, so only the creator's direct path is populated (every other parent is blank).
/// Holds the creator's live group and one receiver's state (leaf 1, joined by Welcome) as serialized
/// bytes, so each measured operation can start from the same fresh receiver.</summary>
/// <remarks>BenchmarkDotNet runs every benchmark case in its own process, and building a 10,000-member
/// group costs far more than the operations measured in it, so the two states are cached in the temp
/// directory, keyed by group size and by the build of Parley.Mls (its module version id). The states hold
/// throwaway benchmark keys only.</remarks>
internal sealed class BenchGroup : IDisposable
{
    private BenchGroup(MlsGroup committer, byte[] receiverState)
    {
        Committer = committer;
        ReceiverState = receiverState;
    }

    /// <summary>Cipher suite 1: MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519.</summary>
    public static CipherSuite Suite { get; } = CipherSuite.Get(1);

    /// <summary>The creator (leaf 0), at the epoch after the Commit that added everyone.</summary>
    public MlsGroup Committer { get; }

    /// <summary>The serialized state of the member at leaf 1 at the same epoch.</summary>
    public byte[] ReceiverState { get; }

    /// <summary>The group of <paramref name="members"/> members (at least 2): restored from the cache when
    /// this build of Parley.Mls already built it, otherwise built and cached.</summary>
    public static BenchGroup Get(int members, ushort suite = 1, TreeShape shape = TreeShape.AddedAtOnce)
    {
        var mvid = typeof(MlsGroup).Assembly.ManifestModule.ModuleVersionId;
        string name = (suite == 1 ? $"group-{members}" : $"group-{members}-suite{suite}")
                      + (shape == TreeShape.EveryMemberCommitted ? "-populated" : "") + $"-{mvid:N}.bin";
        string path = Path.Combine(Path.GetTempPath(), "parley-mls-bench", name);
        if (File.Exists(path))
        {
            using var reader = new BinaryReader(File.OpenRead(path));
            byte[] committer = reader.ReadBytes(reader.ReadInt32());
            byte[] receiver = reader.ReadBytes(reader.ReadInt32());
            return new BenchGroup(MlsGroup.Restore(committer), receiver);
        }
        var built = shape == TreeShape.EveryMemberCommitted ? BuildPopulated(members, suite) : Build(members, suite);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        string partial = path + $".{Environment.ProcessId}.tmp";
        using (var writer = new BinaryWriter(File.Create(partial)))
        {
            byte[] committer = built.Committer.Serialize();
            writer.Write(committer.Length);
            writer.Write(committer);
            writer.Write(built.ReceiverState.Length);
            writer.Write(built.ReceiverState);
        }
        File.Move(partial, path, overwrite: true);
        return built;
    }

    /// <summary>Builds a group of <paramref name="members"/> members (at least 2), without the cache.</summary>
    public static BenchGroup Build(int members, ushort suiteId = 1)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(members, 2);
        var suite = CipherSuite.Get(suiteId);
        var committer = MlsGroup.Create(suite, Encoding.UTF8.GetBytes($"bench-{members}"), Credential.Basic("member-0"u8.ToArray()),
            suite.GenerateSignatureKeyPair());
        var keyPackages = new List<KeyPackageBundle>(members - 1);
        try
        {
            for (int i = 1; i < members; i++)
            {
                keyPackages.Add(NewKeyPackage($"member-{i}", suiteId));
            }
            var result = committer.Commit(new CommitOptions
            {
                Proposals = keyPackages.Select(kp => (Proposal)new Add(kp.KeyPackage)).ToArray(),
                RatchetTreeInWelcome = true,
            });
            committer.MergePendingCommit();
            using var receiver = MlsGroup.JoinFromWelcome(result.Welcome!, keyPackages[0]);
            return new BenchGroup(committer, receiver.Serialize());
        }
        catch
        {
            committer.Dispose();
            throw;
        }
        finally
        {
            foreach (var kp in keyPackages)
            {
                kp.Dispose();
            }
        }
    }

    /// <summary>Builds a group of <paramref name="members"/> members (at least 2) in which every member has
    /// committed once with a path, as in a live group: everyone joins by one Welcome, then leaves 2 to n − 1,
    /// leaf 1 and last the creator each commit with an UpdatePath, which every member still to commit (and
    /// leaves 0 and 1) processes. No parent node is then blank and no leaf unmerged, so a path is encrypted to
    /// one node per copath entry (log2 n). Costs about n²/2 Commit processings: meant for up to a few hundred.</summary>
    public static BenchGroup BuildPopulated(int members, ushort suiteId = 1)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(members, 2);
        var suite = CipherSuite.Get(suiteId);
        var groups = new MlsGroup?[members];
        groups[0] = MlsGroup.Create(suite, Encoding.UTF8.GetBytes($"bench-{members}-populated"), Credential.Basic("member-0"u8.ToArray()),
            suite.GenerateSignatureKeyPair());
        var keyPackages = new List<KeyPackageBundle>(members - 1);
        try
        {
            for (int i = 1; i < members; i++)
            {
                keyPackages.Add(NewKeyPackage($"member-{i}", suiteId));
            }
            var added = groups[0]!.Commit(new CommitOptions
            {
                Proposals = keyPackages.Select(kp => (Proposal)new Add(kp.KeyPackage)).ToArray(),
                RatchetTreeInWelcome = true,
            });
            groups[0]!.MergePendingCommit();
            for (int i = 1; i < members; i++)
            {
                groups[i] = MlsGroup.JoinFromWelcome(added.Welcome!, keyPackages[i - 1]);
            }

            foreach (int committer in Enumerable.Range(2, members - 2).Append(1).Append(0))
            {
                byte[] commit = groups[committer]!.Commit(new CommitOptions { ForcePath = true }).Commit.ToBytes();
                groups[committer]!.MergePendingCommit();
                for (int j = 0; j < members; j++)
                {
                    if (j != committer && groups[j] is { } member)
                    {
                        member.ProcessMessage(commit);
                        member.ForgetPreviousEpoch();
                    }
                }
                // A member that has committed is needed no more, except the benchmark's committer and receiver.
                if (committer >= 2)
                {
                    groups[committer]!.Dispose();
                    groups[committer] = null;
                }
            }
            byte[] receiver = groups[1]!.Serialize();
            var result = new BenchGroup(groups[0]!, receiver);
            groups[0] = null;
            return result;
        }
        finally
        {
            foreach (var group in groups)
            {
                group?.Dispose();
            }
            foreach (var kp in keyPackages)
            {
                kp.Dispose();
            }
        }
    }

    /// <summary>A fresh key package on the benchmark suite (or <paramref name="suiteId"/>), with its own signature key.</summary>
    public static KeyPackageBundle NewKeyPackage(string identity, ushort suiteId = 1)
    {
        var suite = CipherSuite.Get(suiteId);
        return KeyPackageBundle.Create(suite, Credential.Basic(Encoding.UTF8.GetBytes(identity)), suite.GenerateSignatureKeyPair(),
            new Lifetime(0, ulong.MaxValue));
    }

    /// <summary>A fresh copy of the receiver (leaf 1), restored from its serialized state.</summary>
    public MlsGroup RestoreReceiver() => MlsGroup.Restore(ReceiverState);

    public void Dispose() => Committer.Dispose();
}

/// <summary>How a benchmark group's tree came about.</summary>
public enum TreeShape
{
    /// <summary>One Commit added everyone: every parent node off the creator's direct path is blank (a Commit
    /// with a path encrypts to n − 1 leaves, the worst case).</summary>
    AddedAtOnce,

    /// <summary>Every member has since committed once with a path: no blank parent node (log2 n encryptions).</summary>
    EveryMemberCommitted,
}
