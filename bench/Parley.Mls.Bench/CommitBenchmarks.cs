// RFC 9420 §12.4 (Commit) and §12.4.2 (creating a Commit): the committer's cost of changing the group.
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Engines;
using Parley.Mls.Codec;
using Parley.Mls.Group;
using Parley.Mls.Messages;
using Parley.Mls.Tree;

namespace Parley.Mls.Bench;

/// <summary>Creating a Commit (and its Welcome) and encoding it for the wire, in groups of 2 to 10,000
/// members. Creating a Commit leaves the group in its epoch (the Commit stays pending), so every
/// iteration commits from the same state.</summary>
[MemoryDiagnoser]
[SimpleJob(RunStrategy.Monitoring, launchCount: 1, warmupCount: 3, iterationCount: 10, invocationCount: 1)]
[MedianColumn, MinColumn, MaxColumn]
public class CommitBenchmarks
{
    private BenchGroup _group = null!;
    private KeyPackageBundle _newcomer = null!;

    [Params(2, 16, 128, 1024, 10_000)]
    public int Members { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _group = BenchGroup.Get(Members);
        _newcomer = BenchGroup.NewKeyPackage("newcomer");
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _newcomer.Dispose();
        _group.Dispose();
    }

    /// <summary>Adds one member: no UpdatePath, a Welcome carrying the ratchet tree.</summary>
    [Benchmark]
    public int CreateCommitAddOne()
        => Encode(_group.Committer.Commit(new CommitOptions { Proposals = [new Add(_newcomer.KeyPackage)] }));

    /// <summary>An empty Commit: the committer's leaf and direct path are refreshed (UpdatePath).</summary>
    [Benchmark]
    public int CreateCommitUpdatePath()
        => Encode(_group.Committer.Commit(new CommitOptions { ForcePath = true }));

    /// <summary>Removes the last member (for 2 members, the only other one), with an UpdatePath.</summary>
    [Benchmark]
    public int CreateCommitRemoveOne()
        => Encode(_group.Committer.Commit(new CommitOptions { Proposals = [new Remove(new LeafIndex((uint)Members - 1))] }));

    private static int Encode(CommitResult result)
        => result.Commit.ToBytes().Length + (result.Welcome?.ToBytes().Length ?? 0);
}
