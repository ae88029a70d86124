// Command-line options of the load generator: "--name value" pairs and "--flag" switches after the mode.
using System.Globalization;

namespace Parley.Load;

/// <summary>The arguments after the mode, read by name.</summary>
internal sealed class LoadArgs(string[] args)
{
    public int Int(string name, int fallback) => String(name) is { } v ? int.Parse(v, CultureInfo.InvariantCulture) : fallback;

    public double Double(string name, double fallback) => String(name) is { } v ? double.Parse(v, CultureInfo.InvariantCulture) : fallback;

    public bool Flag(string name) => args.Contains(name);

    public string? String(string name)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }
}
