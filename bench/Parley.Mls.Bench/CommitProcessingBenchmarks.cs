// RFC 9420 §12.4.2 (joining the new epoch by processing a Commit): a receiver's cost of following a change.
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Engines;
using Parley.Mls.Codec;
using Parley.Mls.Group;
using Parley.Mls.Messages;
using Parley.Mls.Tree;

namespace Parley.Mls.Bench;

/// <summary>Decoding and processing a Commit from the wire, by the member at leaf 1, in groups of 2 to
/// 10,000 members. Processing moves the receiver to the next epoch, so each iteration starts from a fresh
/// receiver restored from its serialized state (restoring is not measured).</summary>
[MemoryDiagnoser]
[SimpleJob(RunStrategy.Monitoring, launchCount: 1, warmupCount: 3, iterationCount: 10, invocationCount: 1)]
[MedianColumn, MinColumn, MaxColumn]
public class CommitProcessingBenchmarks
{
    private BenchGroup _group = null!;
    private byte[] _addOne = null!;
    private byte[] _updatePath = null!;
    private byte[] _removeOne = null!;
    private MlsGroup? _receiver;

    [Params(2, 16, 128, 1024, 10_000)]
    public int Members { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _group = BenchGroup.Get(Members);
        using var newcomer = BenchGroup.NewKeyPackage("newcomer");
        var committer = _group.Committer;
        _addOne = committer.Commit(new CommitOptions { Proposals = [new Add(newcomer.KeyPackage)] }).Commit.ToBytes();
        _updatePath = committer.Commit(new CommitOptions { ForcePath = true }).Commit.ToBytes();
        _removeOne = committer.Commit(new CommitOptions { Proposals = [new Remove(new LeafIndex((uint)Members - 1))] }).Commit.ToBytes();
        committer.DiscardPendingCommit();
    }

    [GlobalCleanup]
    public void Cleanup() => _group.Dispose();

    [IterationSetup]
    public void FreshReceiver() => _receiver = _group.RestoreReceiver();

    [IterationCleanup]
    public void DropReceiver()
    {
        _receiver?.Dispose();
        _receiver = null;
    }

    [Benchmark]
    public ulong ProcessCommitAddOne() => Process(_addOne);

    [Benchmark]
    public ulong ProcessCommitUpdatePath() => Process(_updatePath);

    /// <summary>For 2 members the removed member is the receiver itself.</summary>
    [Benchmark]
    public ulong ProcessCommitRemoveOne() => Process(_removeOne);

    private ulong Process(byte[] commit) => ((CommitMessage)_receiver!.ProcessMessage(commit)).NewEpoch;
}
