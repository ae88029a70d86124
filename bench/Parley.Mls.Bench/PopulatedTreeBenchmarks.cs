// RFC 9420 §7.6 and §12.4.2: a Commit with a path encrypts each path secret to the resolution of a copath
// node, so its cost depends on the tree's shape: n − 1 leaves right after one Commit added everyone, about
// log2 n nodes once every member has committed (a live group, the shape published comparisons use).
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Engines;
using Parley.Mls.Codec;
using Parley.Mls.Group;

namespace Parley.Mls.Bench;

/// <summary>Creating and processing a Commit with a path (an empty Commit) in both tree shapes, side by side in
/// one run. Processing starts from a fresh receiver restored from its serialized state (not measured).</summary>
[MemoryDiagnoser]
[SimpleJob(RunStrategy.Monitoring, launchCount: 1, warmupCount: 3, iterationCount: 10, invocationCount: 1)]
[MedianColumn, MinColumn, MaxColumn]
public class PopulatedTreeBenchmarks
{
    private BenchGroup _group = null!;
    private byte[] _updatePath = null!;
    private MlsGroup? _receiver;

    [Params(16, 128)]
    public int Members { get; set; }

    [Params(TreeShape.AddedAtOnce, TreeShape.EveryMemberCommitted)]
    public TreeShape Shape { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _group = BenchGroup.Get(Members, shape: Shape);
        _updatePath = _group.Committer.Commit(new CommitOptions { ForcePath = true }).Commit.ToBytes();
        _group.Committer.DiscardPendingCommit();
    }

    [GlobalCleanup]
    public void Cleanup() => _group.Dispose();

    [IterationSetup(Target = nameof(ProcessCommitUpdatePath))]
    public void FreshReceiver() => _receiver = _group.RestoreReceiver();

    [IterationCleanup(Target = nameof(ProcessCommitUpdatePath))]
    public void DropReceiver()
    {
        _receiver?.Dispose();
        _receiver = null;
    }

    /// <summary>An empty Commit: the committer's leaf and direct path are refreshed, encoded to bytes.</summary>
    [Benchmark]
    public int CreateCommitUpdatePath() => _group.Committer.Commit(new CommitOptions { ForcePath = true }).Commit.ToBytes().Length;

    /// <summary>The receiver (leaf 1) decodes and processes that Commit.</summary>
    [Benchmark]
    public ulong ProcessCommitUpdatePath() => ((CommitMessage)_receiver!.ProcessMessage(_updatePath)).NewEpoch;
}
