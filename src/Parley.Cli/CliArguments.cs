using System.CommandLine;

namespace Parley.Cli;

/// <summary>Shared options written before the command (<c>parley --home DIR send bob hi</c>) act as their environment
/// variables do: they move behind the command when it takes them, and are dropped when it does not (as
/// <c>parley suites</c> ignores PARLEY_HOME). Written after the command, only the options it lists are accepted.</summary>
internal static class CliArguments
{
    public static string[] Normalize(RootCommand root, string[] args)
    {
        var leading = new List<string>();
        var moved = new List<(Option<string?> Option, string Value)>();
        int i = 0;
        for (; i < args.Length; i++)
        {
            string token = args[i];
            if (token == GlobalOptions.Verbose.Name)
            {
                leading.Add(token);
                continue;
            }
            var shared = GlobalOptions.Shared.Select(s => s.Option)
                .FirstOrDefault(o => token == o.Name || token.StartsWith(o.Name + "=", StringComparison.Ordinal));
            if (shared is null)
            {
                break;
            }
            if (token.Length > shared.Name.Length)
            {
                moved.Add((shared, token[(shared.Name.Length + 1)..]));
            }
            else if (i + 1 < args.Length)
            {
                moved.Add((shared, args[++i]));
            }
            else
            {
                break;
            }
        }
        if (moved.Count == 0)
        {
            return args;
        }
        var rest = args[i..];
        Command command = root;
        int depth = 0;
        while (depth < rest.Length && command.Subcommands.FirstOrDefault(c => c.Name == rest[depth] || c.Aliases.Contains(rest[depth])) is { } sub)
        {
            command = sub;
            depth++;
        }
        var result = new List<string>(leading);
        result.AddRange(rest[..depth]);
        foreach (var (option, value) in moved.Where(m => command.Options.Contains(m.Option)))
        {
            result.Add(option.Name);
            result.Add(value);
        }
        result.AddRange(rest[depth..]);
        return [.. result];
    }
}
