// The 1:1 relay workload shared by every target: N devices in pairs, each pair one real MLS group; every device sends
// MLS-encrypted text messages to its partner, paced (open loop, a fixed rate spread over the devices) or as fast as
// one message in flight per device allows (closed loop). The receiver decrypts each message, and its latency is
// measured from the moment the message was due to be sent (so a sender that falls behind shows up in the latency).
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using Parley.Mls;

namespace Parley.Load;

/// <summary>What one step (one rate, a fixed time) measured.</summary>
internal sealed record RelayStep(
    string Target, string Description, int Devices, double TargetRate, double Seconds, long Accepted, long Failed, long Delivered,
    long Lost, long Duplicated, long Undecryptable, double AcceptedPerSecond, double DeliveredPerSecond, double P50Ms, double P95Ms, double P99Ms,
    double MaxMs, double ServerCpuPercent, double DatabaseCpuPercent, double HarnessCpuPercent, double OtherCpuPercent, double ServerRssMiB,
    string LoadAverage)
{
    /// <summary>True when the step kept up with its rate, lost nothing and kept p99 under the bound.</summary>
    public bool Sustained(double p99BoundMs) => Lost == 0 && Failed == 0 && Duplicated == 0 && Undecryptable == 0 && P99Ms < p99BoundMs
                                               && (TargetRate <= 0 || AcceptedPerSecond >= 0.95 * TargetRate);

    /// <summary>Server CPU time (with its database's) per delivered message, in milliseconds: what the relay costs,
    /// whatever else runs.</summary>
    public double ServerCpuMsPerMessage => Delivered == 0 ? 0 : Math.Round((ServerCpuPercent + DatabaseCpuPercent) / 100 * Seconds * 1000 / Delivered, 3);

    /// <summary>The load generator's CPU time per delivered message (MLS on both ends, its side of the transport).</summary>
    public double HarnessCpuMsPerMessage => Delivered == 0 ? 0 : Math.Round(HarnessCpuPercent / 100 * Seconds * 1000 / Delivered, 3);

    public string Line() => string.Create(CultureInfo.InvariantCulture,
        $"{Target,-9} rate {(TargetRate <= 0 ? "max" : TargetRate.ToString("N0", CultureInfo.InvariantCulture)),7}  accepted {AcceptedPerSecond,8:N1}/s  delivered {DeliveredPerSecond,8:N1}/s  " +
        $"p50 {P50Ms,7:F1}  p95 {P95Ms,7:F1}  p99 {P99Ms,8:F1}  max {MaxMs,8:F1} ms  lost {Lost}  dup {Duplicated}  failed {Failed}  " +
        $"cpu: server {ServerCpuPercent,3:F0}%{(DatabaseCpuPercent > 0 ? $" + db {DatabaseCpuPercent:F0}%" : "")} ({ServerCpuMsPerMessage:F2} ms/msg)  harness {HarnessCpuPercent,3:F0}%  others {OtherCpuPercent,3:F0}%  rss {ServerRssMiB:F0} MiB  load {LoadAverage}");
}

/// <summary>Pairs of devices on one relay target, set up once and then run at one rate after another.</summary>
internal sealed class RelayBench : IAsyncDisposable
{
    private readonly IRelayTarget _target;
    private readonly PairGroups _groups;
    private readonly int[] _nextSeq;
    private readonly int[] _stepFirstSeq;
    private readonly ConcurrentDictionary<long, byte> _delivered = new();
    private readonly ConcurrentDictionary<long, TaskCompletionSource> _awaited = new();
    private LatencyRecorder _latency = new();
    private long _duplicated, _undecryptable, _lastDelivery;

    private RelayBench(IRelayTarget target, PairGroups groups, int devices)
    {
        _target = target;
        _groups = groups;
        _nextSeq = new int[devices];
        _stepFirstSeq = new int[devices];
    }

    public int Devices => _nextSeq.Length;

    public IRelayTarget Target => _target;

    /// <summary>Creates the accounts, the pair groups and the connections.</summary>
    public static async Task<RelayBench> CreateAsync(IRelayTarget target, int devices, CancellationToken cancellationToken, bool unpadded = false)
    {
        var clock = Stopwatch.StartNew();
        var leaves = await target.SetUpDevicesAsync(devices, cancellationToken);
        Console.Error.WriteLine($"{target.Name}: {devices} accounts in {clock.Elapsed.TotalSeconds:F1} s");
        clock.Restart();
        var groups = await PairGroups.CreateAsync(leaves, target.RegisterGroupAsync, cancellationToken, unpadded);
        Console.Error.WriteLine($"{target.Name}: {devices / 2} MLS groups in {clock.Elapsed.TotalSeconds:F1} s");
        var bench = new RelayBench(target, groups, devices);
        clock.Restart();
        await target.ConnectAsync(bench.OnMessage, cancellationToken);
        Console.Error.WriteLine($"{target.Name}: {devices} connections in {clock.Elapsed.TotalSeconds:F1} s");
        return bench;
    }

    private static long Key(int sender, int seq) => ((long)sender << 32) | (uint)seq;

    private void OnMessage(int receiver, ReadOnlyMemory<byte> message)
    {
        long now = Stopwatch.GetTimestamp();
        string? text;
        try
        {
            text = _groups.Decrypt(receiver, message);
        }
        catch (Exception e) when (e is MlsException or Parley.Content.EnvelopeFormatException)
        {
            Interlocked.Increment(ref _undecryptable);
            return;
        }
        if (text is null || !LoadText.TryParse(text, out int sender, out int seq, out long sentAt))
        {
            return;
        }
        if (!_delivered.TryAdd(Key(sender, seq), 0))
        {
            Interlocked.Increment(ref _duplicated);
            return;
        }
        Interlocked.Exchange(ref _lastDelivery, now);
        if (_awaited.TryRemove(Key(sender, seq), out var waiter))
        {
            waiter.TrySetResult();
        }
        if (seq >= Volatile.Read(ref _stepFirstSeq[sender]))
        {
            Volatile.Read(ref _latency).Record(sentAt, now);
        }
    }

    /// <summary>Runs for <paramref name="seconds"/> at <paramref name="rate"/> messages a second in all, then waits up to
    /// 10 s for the deliveries, and reports. Rate 0 is a closed loop: each device sends its next message as soon as its
    /// partner has received the previous one (one message in flight per device, whatever the transport acknowledges).</summary>
    public async Task<RelayStep> RunStepAsync(double rate, double seconds, int maxPerDevice, CancellationToken cancellationToken)
    {
        int devices = Devices;
        for (int i = 0; i < devices; i++)
        {
            Volatile.Write(ref _stepFirstSeq[i], _nextSeq[i]);
        }
        var latency = new LatencyRecorder();
        Volatile.Write(ref _latency, latency);
        long duplicatedBefore = Interlocked.Read(ref _duplicated), undecryptableBefore = Interlocked.Read(ref _undecryptable);
        var accepted = new ConcurrentBag<long>();
        long failed = 0;
        var serverBefore = ProcessStats.Of(_target.ServerPids);
        var databasePids = _target.DatabasePids;
        var databaseBefore = ProcessStats.Of(databasePids);
        var selfBefore = ProcessStats.Self();
        double machineBefore = MachineCpu.BusySeconds();
        string loadBefore = MachineCpu.LoadAverage();
        long start = Stopwatch.GetTimestamp();
        long end = start + (long)(seconds * Stopwatch.Frequency);
        double interval = rate > 0 ? devices / rate * Stopwatch.Frequency : 0;
        await Task.WhenAll(Enumerable.Range(0, devices).Select(device => Task.Run(async () =>
        {
            int partner = device ^ 1;
            double due = start + Random.Shared.NextDouble() * interval;
            for (int sent = 0; sent < maxPerDevice; sent++)
            {
                if (rate > 0)
                {
                    if ((long)due >= end)
                    {
                        break;
                    }
                    long wait = (long)due - Stopwatch.GetTimestamp();
                    if (wait > 0)
                    {
                        await Task.Delay(TimeSpan.FromTicks(wait * TimeSpan.TicksPerSecond / Stopwatch.Frequency), cancellationToken);
                    }
                }
                long stamp = rate > 0 ? (long)due : Stopwatch.GetTimestamp();
                if (stamp >= end)
                {
                    break;
                }
                int seq = _nextSeq[device]++;
                var (id, message) = _groups.Encrypt(device, LoadText.Format(device, seq, stamp));
                TaskCompletionSource? delivered = null;
                if (rate <= 0)
                {
                    delivered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                    _awaited[Key(device, seq)] = delivered;
                }
                try
                {
                    await _target.SendAsync(device, partner, _groups.GroupOf(device), id, message, cancellationToken);
                    accepted.Add(Key(device, seq));
                    if (delivered is not null)
                    {
                        await delivered.Task.WaitAsync(TimeSpan.FromSeconds(10), cancellationToken);
                    }
                }
                catch (TimeoutException)
                {
                    // Counted as lost below unless it arrives during the drain.
                    _awaited.TryRemove(Key(device, seq), out _);
                }
                catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
                {
                    if (Interlocked.Increment(ref failed) <= 3)
                    {
                        Console.Error.WriteLine($"{_target.Name}: send failed: {e.GetType().Name}: {e.Message}");
                    }
                }
                due += interval;
            }
        }, cancellationToken)));
        double sendSeconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
        var serverAfterSend = ProcessStats.Of(_target.ServerPids);
        var databaseAfter = ProcessStats.Of(databasePids);
        var selfAfterSend = ProcessStats.Self();
        double machineAfter = MachineCpu.BusySeconds();
        double serverCpu = serverAfterSend.CpuSeconds - serverBefore.CpuSeconds, selfCpu = selfAfterSend.CpuSeconds - selfBefore.CpuSeconds;
        double databaseCpu = Math.Max(0, databaseAfter.CpuSeconds - databaseBefore.CpuSeconds);
        double otherCpu = Math.Max(0, machineAfter - machineBefore - serverCpu - selfCpu - databaseCpu);
        var drain = Stopwatch.StartNew();
        while (accepted.Any(k => !_delivered.ContainsKey(k)) && drain.Elapsed < TimeSpan.FromSeconds(10))
        {
            await Task.Delay(50, cancellationToken);
        }
        long lost = accepted.Count(k => !_delivered.ContainsKey(k));
        long delivered = accepted.Count - lost;
        long last = Interlocked.Read(ref _lastDelivery);
        double deliverSeconds = last > start ? Stopwatch.GetElapsedTime(start, last).TotalSeconds : sendSeconds;
        string load = loadBefore + "→" + MachineCpu.LoadAverage();
        return new RelayStep(_target.Name, _target.Description, devices, rate, Math.Round(sendSeconds, 2), accepted.Count, failed, delivered, lost,
            Interlocked.Read(ref _duplicated) - duplicatedBefore, Interlocked.Read(ref _undecryptable) - undecryptableBefore,
            // Paced steps: the rate achieved over the step's nominal length (the last sends may finish a little after it).
            Math.Round(accepted.Count / (rate > 0 ? seconds : sendSeconds), 1),
            Math.Round(delivered / (rate > 0 ? seconds : Math.Max(deliverSeconds, sendSeconds)), 1),
            Math.Round(latency.Ms(50), 2), Math.Round(latency.Ms(95), 2), Math.Round(latency.Ms(99), 2), Math.Round(latency.MaxMs, 2),
            Math.Round(100 * serverCpu / sendSeconds), Math.Round(100 * databaseCpu / sendSeconds), Math.Round(100 * selfCpu / sendSeconds),
            Math.Round(100 * otherCpu / sendSeconds),
            Math.Round(serverAfterSend.RssMiB, 1), load);
    }

    /// <summary>Runs a step and runs it again (at most <paramref name="retries"/> times) while other processes took more
    /// than <paramref name="noisyCpuPercent"/> % of a CPU during it: on a shared machine that step measured them, not us.</summary>
    public async Task<RelayStep> RunQuietStepAsync(double rate, double seconds, double noisyCpuPercent, int retries, CancellationToken cancellationToken)
    {
        RelayStep step = await RunStepAsync(rate, seconds, int.MaxValue, cancellationToken);
        for (int i = 0; i < retries && step.OtherCpuPercent > noisyCpuPercent; i++)
        {
            Console.Error.WriteLine($"noisy {step.Line()}");
            step = await RunStepAsync(rate, seconds, int.MaxValue, cancellationToken);
        }
        return step;
    }

    public async ValueTask DisposeAsync()
    {
        await _target.DisposeAsync();
        _groups.Dispose();
    }
}
