// A plain loop over one benchmark operation, for a profiler (dotnet-trace) to sample: BenchmarkDotNet's own
// processes are short-lived and spend much of their time in its engine.
using System.Diagnostics;
using Parley.Mls.Codec;
using Parley.Mls.Group;

namespace Parley.Mls.Bench;

/// <summary><c>loop commit|protect MEMBERS added|populated SECONDS [SUITE]</c>: repeats creating a Commit with a path
/// (or protecting and unprotecting 1 MiB) in the benchmark group until the time is up, then prints the mean
/// elapsed and CPU time and the bytes allocated per operation.</summary>
internal static class ProfileLoop
{
    public static void Run(string operation, int members, string shape, double seconds, ushort suite = 1)
    {
        using var group = BenchGroup.Get(members, suite, shape == "populated" ? TreeShape.EveryMemberCommitted : TreeShape.AddedAtOnce);
        using var receiver = group.RestoreReceiver();
        byte[] payload = new byte[1 << 20];
        Func<int> step = operation switch
        {
            "commit" => () => group.Committer.Commit(new CommitOptions { ForcePath = true }).Commit.ToBytes().Length,
            "protect" => () => ((ApplicationMessage)receiver.ProcessMessage(group.Committer.EncryptApplicationMessage(payload).ToBytes())).Data.Length,
            _ => throw new ArgumentException($"Unknown operation '{operation}': commit or protect.", nameof(operation)),
        };
        step();
        long allocated = GC.GetTotalAllocatedBytes(precise: true);
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        var clock = Stopwatch.StartNew();
        int count = 0;
        while (clock.Elapsed.TotalSeconds < seconds)
        {
            step();
            count++;
        }
        // On a loaded machine the process waits for a core much of the time: its CPU time says more than the clock.
        cpu = Process.GetCurrentProcess().TotalProcessorTime - cpu;
        allocated = GC.GetTotalAllocatedBytes(precise: true) - allocated;
        Console.WriteLine($"{operation} {members} {shape} suite {suite}: {count} operations, each {clock.Elapsed.TotalMilliseconds / count:F3} ms elapsed, "
                          + $"{cpu.TotalMilliseconds / count:F3} ms CPU (all threads), {allocated / count:N0} bytes allocated");
    }
}
