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
