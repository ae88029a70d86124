// RFC 9420 §12.4.3.1 (joining via Welcome message).
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Engines;
using Parley.Mls.Codec;
using Parley.Mls.Group;
using Parley.Mls.Messages;

namespace Parley.Mls.Bench;

/// <summary>A new member joining from the Welcome bytes of a Commit that added it to a group of the given
/// size; the Welcome's GroupInfo carries the ratchet tree, which the joiner decodes and validates.</summary>
[MemoryDiagnoser]
[SimpleJob(RunStrategy.Monitoring, launchCount: 1, warmupCount: 3, iterationCount: 10, invocationCount: 1)]
[MedianColumn, MinColumn, MaxColumn]
public class WelcomeJoinBenchmarks
{
    private BenchGroup _group = null!;
    private KeyPackageBundle _newcomer = null!;
    private byte[] _welcome = null!;

    [Params(2, 16, 128, 1024, 10_000)]
    public int Members { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _group = BenchGroup.Get(Members);
        _newcomer = BenchGroup.NewKeyPackage("newcomer");
        var result = _group.Committer.Commit(new CommitOptions { Proposals = [new Add(_newcomer.KeyPackage)], RatchetTreeInWelcome = true });
        _welcome = result.Welcome!.ToBytes();
        _group.Committer.DiscardPendingCommit();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _newcomer.Dispose();
        _group.Dispose();
    }

    [Benchmark]
    public ulong JoinByWelcome()
    {
        using var joined = MlsGroup.JoinFromWelcome(MlsMessage.Decode(_welcome), _newcomer);
        return joined.Epoch;
    }
}
