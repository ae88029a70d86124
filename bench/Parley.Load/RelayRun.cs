// The "relay" mode (one target: Parley, ejabberd or echo; one rate, a closed loop, or a search for the highest rate
// with p99 under a bound) and the "compare" mode (the same on all three, back to back, with the ratios).
using System.Globalization;
using System.Text.Json;

namespace Parley.Load;

/// <summary>The "relay" and "compare" modes.</summary>
internal static class RelayRun
{
    public static async Task<IRelayTarget> StartTargetAsync(string name, LoadArgs a, CancellationToken cancellationToken) => name switch
    {
        "parley" or "parley-sealed" => await ParleyTarget.StartAsync(Enum.Parse<StorageEngine>(a.String("--engine") ?? "sqlite", ignoreCase: true),
            a.Int("--nodes", 1), cancellationToken, sealedSending: name == "parley-sealed"),
        "parley-pg" or "parley-pg2" => await ParleyTarget.StartAsync(StorageEngine.Postgres, name == "parley-pg2" ? 2 : 1, cancellationToken,
            name: name),
        "parley-json" or "parley-sealed-json" => await ParleyTarget.StartAsync(StorageEngineOf(a), a.Int("--nodes", 1), cancellationToken,
            sealedSending: name == "parley-sealed-json", binaryFrames: false, name: name),
        "parley-baseline" or "parley-sealed-baseline" => await ParleyTarget.StartAsync(StorageEngineOf(a), a.Int("--nodes", 1), cancellationToken,
            sealedSending: name == "parley-sealed-baseline", serverDll: Environment.GetEnvironmentVariable("PARLEY_BASELINE_DLL")
                ?? throw new ArgumentException("parley-baseline runs the server build named by $PARLEY_BASELINE_DLL."), name: name),
        "ejabberd" => await XmppTarget.StartAsync(cancellationToken),
        "echo" => await EchoTarget.StartAsync(cancellationToken),
        _ => throw new ArgumentException($"Unknown target {name}; use parley, ejabberd or echo."),
    };

    private static StorageEngine StorageEngineOf(LoadArgs a) => Enum.Parse<StorageEngine>(a.String("--engine") ?? "sqlite", ignoreCase: true);

    /// <summary>relay --target parley|ejabberd|echo [--devices 100] [--seconds 10] [--rate R | --search] [--p99 100]
    /// [--start-rate 200] [--max-steps 10] [--engine sqlite|postgres] [--nodes 1] [--json]</summary>
    public static async Task<int> RunAsync(LoadArgs a, CancellationToken cancellationToken)
    {
        OpenFiles.Raise(65536);
        var steps = await MeasureAsync(a.String("--target") ?? "parley", a, cancellationToken);
        if (a.Flag("--json"))
        {
            Console.WriteLine(JsonSerializer.Serialize(steps.All, LoadJson.Default.ListRelayStep));
        }
        return steps.All.All(s => s.Lost == 0 && s.Duplicated == 0) ? 0 : 1;
    }

    /// <summary>Sets up one target, warms it up, runs the closed-loop step, then the fixed rate or the search.</summary>
    public static async Task<(List<RelayStep> All, RelayStep Max, RelayStep? Best)> MeasureAsync(string name, LoadArgs a, CancellationToken cancellationToken)
    {
        int devices = a.Int("--devices", 100);
        double seconds = a.Double("--seconds", 10);
        double p99 = a.Double("--p99", 100);
        await using var bench = await RelayBench.CreateAsync(await StartTargetAsync(name, a, cancellationToken), devices, cancellationToken, a.Flag("--unpadded"));
        Console.Error.WriteLine($"{bench.Target.Description}; {devices} devices in {devices / 2} pairs; {Machine.Describe()}");
        // Warm-up (JIT, connection pools, database caches): not reported.
        await bench.RunStepAsync(a.Double("--start-rate", 200), a.Int("--warmup", 3), int.MaxValue, cancellationToken);
        var all = new List<RelayStep>();
        var max = await bench.RunQuietStepAsync(0, seconds, a.Double("--noisy", 25), a.Int("--retries", 2), cancellationToken);
        all.Add(max);
        Console.Error.WriteLine("max   " + max.Line());
        RelayStep? best = null;
        if (a.Flag("--search"))
        {
            var search = new RateSearch(a.Double("--start-rate", 200), p99, a.Int("--max-steps", 10));
            while (!search.Done)
            {
                search.Record(await bench.RunQuietStepAsync(search.Next, seconds, a.Double("--noisy", 25), a.Int("--retries", 2), cancellationToken));
            }
            all.AddRange(search.Steps);
            best = search.Best;
        }
        else if (a.Double("--rate", 0) is var rate and > 0)
        {
            best = await bench.RunStepAsync(rate, seconds, int.MaxValue, cancellationToken);
            all.Add(best);
            Console.Error.WriteLine("rate  " + best.Line());
        }
        Console.WriteLine($"{bench.Target.Description}, {devices} devices");
        Console.WriteLine("  closed loop   " + max.Line());
        if (best is not null)
        {
            Console.WriteLine((a.Flag("--search") ? $"  best p99<{p99:F0}ms " : "  at rate      ") + best.Line());
        }
        else if (a.Flag("--search"))
        {
            Console.WriteLine($"  no rate held p99 under {p99:F0} ms");
        }
        return (all, max, best);
    }

    /// <summary>compare [--targets parley,ejabberd,echo] [--noisy 25] [--retries 2] and the relay options: every target
    /// with the same parameters, step by step in turns, then Parley's figures as a fraction of each other target's.</summary>
    public static async Task<int> CompareAsync(LoadArgs a, CancellationToken cancellationToken)
    {
        OpenFiles.Raise(65536);
        string[] names = (a.String("--targets") ?? "parley,ejabberd,echo").Split(',');
        int devices = a.Int("--devices", 100);
        double seconds = a.Double("--seconds", 10), noisy = a.Double("--noisy", 25);
        int retries = a.Int("--retries", 2);
        var results = new List<(string Name, RelayStep Max, RelayStep? Best)>();
        var every = new List<RelayStep>();
        // Every target is set up first and then measured in turns, step by step, so that whatever else the machine
        // does at the time falls on all of them alike; a step during which other processes were busy is run again.
        var benches = new List<RelayBench>();
        try
        {
            foreach (string name in names)
            {
                var bench = await RelayBench.CreateAsync(await StartTargetAsync(name, a, cancellationToken), devices, cancellationToken, a.Flag("--unpadded"));
                benches.Add(bench);
                Console.Error.WriteLine($"{bench.Target.Description}; {devices} devices in {devices / 2} pairs");
                await bench.RunStepAsync(a.Double("--start-rate", 200), a.Int("--warmup", 3), int.MaxValue, cancellationToken);
            }
            Console.Error.WriteLine(Machine.Describe());
            var maxima = new List<RelayStep>();
            foreach (var bench in benches)
            {
                var max = await bench.RunQuietStepAsync(0, seconds, noisy, retries, cancellationToken);
                Console.Error.WriteLine("max   " + max.Line());
                maxima.Add(max);
            }
            var searches = benches.Select(_ => new RateSearch(a.Double("--start-rate", 200), a.Double("--p99", 100), a.Int("--max-steps", 10))).ToList();
            while (searches.Any(s => !s.Done))
            {
                for (int i = 0; i < benches.Count; i++)
                {
                    if (!searches[i].Done)
                    {
                        searches[i].Record(await benches[i].RunQuietStepAsync(searches[i].Next, seconds, noisy, retries, cancellationToken));
                    }
                }
            }
            for (int i = 0; i < benches.Count; i++)
            {
                results.Add((names[i], maxima[i], searches[i].Best));
                every.Add(maxima[i]);
                every.AddRange(searches[i].Steps);
            }
        }
        finally
        {
            foreach (var bench in benches)
            {
                await bench.DisposeAsync();
            }
        }
        var c = CultureInfo.InvariantCulture;
        double p99 = a.Double("--p99", 100);
        Console.WriteLine();
        Console.WriteLine($"| target | closed loop delivered/s | p50 / p99 ms | CPU server / harness / others | CPU ms per message, server / harness | highest rate with p99 < {p99:F0} ms | p50 / p99 ms at it | CPU server / harness / others | server RSS | load |");
        Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var (name, max, best) in results)
        {
            Console.WriteLine(string.Create(c,
                $"| {max.Description} | {max.DeliveredPerSecond:N0} | {max.P50Ms:F1} / {max.P99Ms:F1} | {Cpu(max)} | {PerMessage(max)} | {(best is null ? "none" : best.TargetRate.ToString("N0", c))} | {(best is null ? "" : $"{best.P50Ms:F1} / {best.P99Ms:F1}")} | {(best is null ? "" : Cpu(best))} | {max.ServerRssMiB:F0} MiB | {max.LoadAverage}, {best?.LoadAverage} |"));
        }
        string Cpu(RelayStep s) => string.Create(c, $"{s.ServerCpuPercent + s.DatabaseCpuPercent:F0} / {s.HarnessCpuPercent:F0} / {s.OtherCpuPercent:F0} %");
        string PerMessage(RelayStep s) => string.Create(c, $"{s.ServerCpuMsPerMessage:F2} / {s.HarnessCpuMsPerMessage:F2}");
        var parley = results.FirstOrDefault(r => r.Name == "parley");
        if (parley.Name is not null)
        {
            // parley-sealed beside parley: sealed sending's figures as a fraction of authenticated sending's.
            foreach (var (name, max, best) in results.Where(r => r.Name == "parley-sealed"))
            {
                string sustained = parley.Best is not null && best is not null ? (best.TargetRate / parley.Best.TargetRate).ToString("P0", c) : "n/a";
                Console.WriteLine(string.Create(c,
                    $"sealed ÷ authenticated: closed-loop delivered/s {max.DeliveredPerSecond / parley.Max.DeliveredPerSecond:P0}, sustained rate at p99 < {p99:F0} ms {sustained}; server CPU per message {max.ServerCpuMsPerMessage / parley.Max.ServerCpuMsPerMessage:F2}×"));
            }
            foreach (var (name, max, best) in results.Where(r => r.Name is not ("parley" or "parley-sealed")))
            {
                string sustained = parley.Best is not null && best is not null ? (parley.Best.TargetRate / best.TargetRate).ToString("P0", c) : "n/a";
                Console.WriteLine(string.Create(c,
                    $"Parley ÷ {name}: closed-loop delivered/s {parley.Max.DeliveredPerSecond / max.DeliveredPerSecond:P0}, sustained rate at p99 < {p99:F0} ms {sustained}; server CPU per message {parley.Max.ServerCpuMsPerMessage / max.ServerCpuMsPerMessage:F1}×"));
            }
        }
        if (a.Flag("--json"))
        {
            Console.WriteLine(JsonSerializer.Serialize(every, LoadJson.Default.ListRelayStep));
        }
        return every.All(s => s.Lost == 0 && s.Duplicated == 0) ? 0 : 1;
    }
}
