// The post-quantum suite 83 (MLS_256_XWING_AES256GCM_SHA512_Ed25519) beside suite 1: what X-Wing's larger keys
// and KEM outputs cost a device creating key packages, a committer, a receiver and a joiner.
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Engines;
using Parley.Mls.Codec;
using Parley.Mls.Group;
using Parley.Mls.Messages;

namespace Parley.Mls.Bench;

/// <summary>Suite 1 and suite 83 in one run, in the groups of <see cref="BenchGroup"/> (after one Commit that
/// added everyone, so a Commit with a path encrypts to n − 1 leaves: the worst case).</summary>
[MemoryDiagnoser]
[SimpleJob(RunStrategy.Monitoring, launchCount: 1, warmupCount: 2, iterationCount: 8, invocationCount: 1)]
[MedianColumn, MinColumn, MaxColumn]
public class PostQuantumBenchmarks
{
    private BenchGroup _group = null!;
    private KeyPackageBundle _newcomer = null!;
    private byte[] _updatePath = null!;
    private byte[] _welcome = null!;
    private MlsGroup? _receiver;

    [Params((ushort)1, (ushort)83)]
    public ushort Suite { get; set; }

    [Params(2, 16, 128, 1024)]
    public int Members { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _group = BenchGroup.Get(Members, Suite);
        _newcomer = BenchGroup.NewKeyPackage("newcomer", Suite);
        var committer = _group.Committer;
        _updatePath = committer.Commit(new CommitOptions { ForcePath = true }).Commit.ToBytes();
        _welcome = committer.Commit(new CommitOptions { Proposals = [new Add(_newcomer.KeyPackage)], RatchetTreeInWelcome = true }).Welcome!.ToBytes();
        committer.DiscardPendingCommit();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _newcomer.Dispose();
        _group.Dispose();
    }

    [IterationSetup(Target = nameof(ProcessCommitUpdatePath))]
    public void FreshReceiver() => _receiver = _group.RestoreReceiver();

    [IterationCleanup(Target = nameof(ProcessCommitUpdatePath))]
    public void DropReceiver()
    {
        _receiver?.Dispose();
        _receiver = null;
    }

    /// <summary>A device's new key package (HPKE init and leaf key pairs, a signature), encoded.</summary>
    [Benchmark]
    public int CreateKeyPackage()
    {
        using var bundle = BenchGroup.NewKeyPackage("device", Suite);
        return bundle.KeyPackage.ToBytes().Length;
    }

    /// <summary>An empty Commit with an UpdatePath, encoded.</summary>
    [Benchmark]
    public int CreateCommitUpdatePath() => _group.Committer.Commit(new CommitOptions { ForcePath = true }).Commit.ToBytes().Length;

    [Benchmark]
    public ulong ProcessCommitUpdatePath() => ((CommitMessage)_receiver!.ProcessMessage(_updatePath)).NewEpoch;

    [Benchmark]
    public ulong JoinByWelcome()
    {
        using var joined = MlsGroup.JoinFromWelcome(MlsMessage.Decode(_welcome), _newcomer);
        return joined.Epoch;
    }
}

/// <summary>The wire sizes of suite 1 and suite 83 (<c>dotnet run -c Release --project bench/Parley.Mls.Bench -- sizes</c>).</summary>
internal static class PostQuantumSizes
{
    public static void Print(IReadOnlyList<int> sizes)
    {
        Console.WriteLine("| members | suite | key package B | Commit (path) B | Commit adding 1 B | Welcome (tree inside) B |");
        Console.WriteLine("| ---: | ---: | ---: | ---: | ---: | ---: |");
        foreach (int members in sizes)
        {
            foreach (ushort suite in new ushort[] { 1, 83 })
            {
                using var group = BenchGroup.Build(members, suite);
                using var newcomer = BenchGroup.NewKeyPackage("newcomer", suite);
                int keyPackage = newcomer.KeyPackage.ToBytes().Length;
                int path = group.Committer.Commit(new CommitOptions { ForcePath = true }).Commit.ToBytes().Length;
                var add = group.Committer.Commit(new CommitOptions { Proposals = [new Add(newcomer.KeyPackage)], RatchetTreeInWelcome = true });
                group.Committer.DiscardPendingCommit();
                Console.WriteLine($"| {members:N0} | {suite} | {keyPackage:N0} | {path:N0} | {add.Commit.ToBytes().Length:N0} | {add.Welcome!.ToBytes().Length:N0} |");
            }
        }
    }
}
