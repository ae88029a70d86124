// Memory and CPU of a server process, read from /proc/<pid>/status and /proc/<pid>/stat (Linux).
using System.Globalization;

namespace Parley.Load;

/// <summary>A process's resident memory and the CPU time it has used, read from /proc.</summary>
internal readonly record struct ProcessStats(long RssBytes, long PeakRssBytes, double CpuSeconds)
{
    public double RssMiB => RssBytes / 1048576.0;

    public double PeakRssMiB => PeakRssBytes / 1048576.0;

    /// <summary>Reads the stats of <paramref name="pid"/> (zeros when it is gone).</summary>
    public static ProcessStats Of(int pid)
    {
        long rss = 0, hwm = 0;
        double cpu = 0;
        try
        {
            foreach (string line in File.ReadLines($"/proc/{pid}/status"))
            {
                if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                {
                    rss = Kib(line);
                }
                else if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                {
                    hwm = Kib(line);
                }
            }
            // Fields 14 and 15 of /proc/pid/stat (utime, stime) in clock ticks; the name in field 2 may hold spaces.
            string stat = File.ReadAllText($"/proc/{pid}/stat");
            string[] rest = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            cpu = (long.Parse(rest[11], CultureInfo.InvariantCulture) + long.Parse(rest[12], CultureInfo.InvariantCulture)) / 100.0;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            // The process ended.
        }
        return new ProcessStats(rss, hwm, cpu);
    }

    /// <summary>The sum over several processes (server nodes).</summary>
    public static ProcessStats Of(IEnumerable<int> pids)
    {
        var total = new ProcessStats(0, 0, 0);
        foreach (int pid in pids)
        {
            var s = Of(pid);
            total = new ProcessStats(total.RssBytes + s.RssBytes, total.PeakRssBytes + s.PeakRssBytes, total.CpuSeconds + s.CpuSeconds);
        }
        return total;
    }

    /// <summary>This process.</summary>
    public static ProcessStats Self() => Of(Environment.ProcessId);

    private static long Kib(string line)
        => long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;
}

/// <summary>CPU time the whole machine has spent busy (all CPUs, from the first line of /proc/stat), to tell how much
/// of it went to processes other than the server and the load generator while a step ran.</summary>
internal static class MachineCpu
{
    public static double BusySeconds()
    {
        try
        {
            string[] f = File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries);
            // cpu user nice system idle iowait irq softirq steal ...
            long busy = long.Parse(f[1], CultureInfo.InvariantCulture) + long.Parse(f[2], CultureInfo.InvariantCulture)
                        + long.Parse(f[3], CultureInfo.InvariantCulture) + long.Parse(f[6], CultureInfo.InvariantCulture)
                        + long.Parse(f[7], CultureInfo.InvariantCulture) + long.Parse(f[8], CultureInfo.InvariantCulture);
            return busy / 100.0;
        }
        catch (Exception e) when (e is IOException or FormatException or IndexOutOfRangeException)
        {
            return 0;
        }
    }

    /// <summary>The 1-minute load average.</summary>
    public static string LoadAverage()
    {
        try
        {
            return File.ReadAllText("/proc/loadavg").Split(' ')[0];
        }
        catch (IOException)
        {
            return "?";
        }
    }
}

/// <summary>The processes of the database services a Parley cluster uses (PostgreSQL's postmaster and every backend
/// it forked, Redis), found from their pid files each time, since backends come and go.</summary>
internal static class DatabaseProcesses
{
    public static IReadOnlyList<int> Find(bool postgres, bool redis)
    {
        var pids = new List<int>();
        if (postgres && FirstLine(Path.Combine(Environment.GetEnvironmentVariable("PARLEY_POSTGRES_DIR") ?? "/tmp/parley-pg", "data", "postmaster.pid")) is { } master)
        {
            pids.Add(master);
            foreach (string dir in Directory.EnumerateDirectories("/proc"))
            {
                if (int.TryParse(Path.GetFileName(dir), CultureInfo.InvariantCulture, out int pid) && ParentOf(pid) == master)
                {
                    pids.Add(pid);
                }
            }
        }
        if (redis && FirstLine(Path.Combine(Environment.GetEnvironmentVariable("PARLEY_REDIS_DIR") ?? "/tmp/parley-redis", "redis.pid")) is { } server)
        {
            pids.Add(server);
        }
        return pids;
    }

    private static int? FirstLine(string path)
    {
        try
        {
            return int.TryParse(File.ReadLines(path).FirstOrDefault(), CultureInfo.InvariantCulture, out int pid) ? pid : null;
        }
        catch (IOException)
        {
            return null;
        }
    }

    private static int ParentOf(int pid)
    {
        try
        {
            string stat = File.ReadAllText($"/proc/{pid}/stat");
            return int.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[1], CultureInfo.InvariantCulture);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
        {
            return -1;
        }
    }
}
