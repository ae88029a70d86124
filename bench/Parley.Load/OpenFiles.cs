// Raises this process's open-file limit (RLIMIT_NOFILE) so it, and the servers it starts, can hold ~100,000 sockets.
using System.Runtime.InteropServices;

namespace Parley.Load;

/// <summary>setrlimit(RLIMIT_NOFILE) on Linux; children inherit the limit.</summary>
internal static partial class OpenFiles
{
    private const int RlimitNofile = 7;

    /// <summary>Sets the soft and hard limits to at least <paramref name="wanted"/> (raising the hard limit needs root);
    /// returns the soft limit in force afterwards.</summary>
    public static ulong Raise(ulong wanted)
    {
        if (!OperatingSystem.IsLinux() || getrlimit(RlimitNofile, out Rlimit current) != 0)
        {
            return 0;
        }
        if (current.Current >= wanted)
        {
            return current.Current;
        }
        var raised = new Rlimit { Current = wanted, Maximum = Math.Max(wanted, current.Maximum) };
        if (setrlimit(RlimitNofile, in raised) != 0)
        {
            raised = new Rlimit { Current = current.Maximum, Maximum = current.Maximum };
            _ = setrlimit(RlimitNofile, in raised);
        }
        return getrlimit(RlimitNofile, out current) == 0 ? current.Current : 0;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct Rlimit
    {
        public ulong Current;
        public ulong Maximum;
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial int getrlimit(int resource, out Rlimit limit);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int setrlimit(int resource, in Rlimit limit);
}
