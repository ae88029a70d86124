using System.CommandLine;

namespace Parley.Cli;

/// <summary>Which of the shared options a command means something with.</summary>
[Flags]
internal enum Scope
{
    /// <summary>Neither a device nor a server (<c>suites</c>, <c>serve</c>, <c>admin keygen</c>).</summary>
    None = 0,

    /// <summary>Opens this device's home (<c>--home</c>).</summary>
    Home = 1,

    /// <summary>Talks to a Parley server (<c>--server</c>).</summary>
    Server = 2,

    /// <summary>Signs with the operator key (<c>--key</c>).</summary>
    OperatorKey = 4,

    /// <summary>A device command that talks to its server.</summary>
    Device = Home | Server,
}

/// <summary>One command of the tree: its path under <c>parley</c>, an example that runs as written (given the names in it
/// exist), the shared options it takes, and whether it is interactive (a server or a terminal session: no <c>--json</c>).</summary>
internal sealed record CommandEntry(string Path, string Example, Scope Scope, bool Interactive = false);

/// <summary>Every command with its example and its shared options: the one table <c>--help</c>, docs/cli.md and the
/// command-tree test read.</summary>
internal static class CommandCatalog
{
    public static readonly IReadOnlyList<CommandEntry> Entries =
    [
        new("suites", "parley suites --json", Scope.None),
        new("serve", "parley serve --data ./parley-data --urls http://0.0.0.0:8080 --Parley:OperatorKey KEY", Scope.None, Interactive: true),
        new("account create", "parley account create alice --server http://SERVER:8080", Scope.Device),
        new("account show", "parley account show --json", Scope.Home),
        new("device link", "parley device link --home ~/.parley-laptop", Scope.Home, Interactive: true),
        new("device approve", "parley device approve PL1.…", Scope.Home),
        new("device list", "parley device list", Scope.Device),
        new("device revoke", "parley device revoke 3f9c2a71", Scope.Device),
        new("backup create", "parley backup create ~/parley.backup", Scope.Home),
        new("backup restore", "parley backup restore ~/parley.backup --home ~/.parley-new --backup-key KEY --revoke-others", Scope.Device),
        new("send", "parley send bob \"see you at noon\"", Scope.Device),
        new("send-file", "parley send-file team ./minutes.pdf --caption \"today's minutes\"", Scope.Device),
        new("receive", "parley receive --wait 30 --download-dir ~/Downloads", Scope.Device),
        new("download", "parley download bob Xk3v --out ~/Downloads", Scope.Device),
        new("listen", "parley listen --json", Scope.Device),
        new("chat", "parley chat bob", Scope.Device, Interactive: true),
        new("web", "parley web --port 8484 --no-browser", Scope.Device, Interactive: true),
        new("react", "parley react bob Xk3v 👍", Scope.Device),
        new("edit", "parley edit bob Xk3v \"see you at one\"", Scope.Device),
        new("delete", "parley delete bob Xk3v --for-me", Scope.Device),
        new("history", "parley history team --ids --limit 20", Scope.Device),
        new("search", "parley search \"lunch\" --in team", Scope.Home),
        new("export", "parley export bob --format html --out bob.html", Scope.Home),
        new("disappear", "parley disappear bob 7d", Scope.Device),
        new("verify", "parley verify bob --confirm", Scope.Device),
        new("group create", "parley group create team --members bob carol", Scope.Device),
        new("group add", "parley group add team dave erin", Scope.Device),
        new("group remove", "parley group remove team erin", Scope.Device),
        new("group leave", "parley group leave team", Scope.Device),
        new("group rename", "parley group rename team \"the team\"", Scope.Device),
        new("group list", "parley group list --json", Scope.Home),
        new("channel create", "parley channel create news", Scope.Device),
        new("channel set-history", "parley channel set-history news 50", Scope.Device),
        new("channel post", "parley channel post news \"the office is closed on Friday\"", Scope.Device),
        new("channel edit", "parley channel edit news POST_ID \"the office is closed on Monday\"", Scope.Device),
        new("channel delete", "parley channel delete news POST_ID", Scope.Device),
        new("channel read", "parley channel read town --server http://SERVER:8080", Scope.Device),
        new("channel info", "parley channel info news", Scope.Device),
        new("channel list", "parley channel list", Scope.Device),
        new("channel invite", "parley channel invite news --expires 7d --approval", Scope.Device),
        new("channel invites", "parley channel invites news", Scope.Device),
        new("channel revoke-invite", "parley channel revoke-invite news INVITE_ID", Scope.Device),
        new("channel join", "parley channel join parley-invite:…", Scope.Device),
        new("channel leave", "parley channel leave news", Scope.Device),
        new("channel requests", "parley channel requests news", Scope.Device),
        new("channel approve", "parley channel approve news REQUEST_ID", Scope.Device),
        new("channel deny", "parley channel deny news REQUEST_ID", Scope.Device),
        new("channel admins add", "parley channel admins add news bob", Scope.Device),
        new("channel admins remove", "parley channel admins remove news bob", Scope.Device),
        new("report", "parley report team Xk3v --reason harassment --comment \"third time this week\"", Scope.Device),
        new("block", "parley block mallory", Scope.Device),
        new("unblock", "parley unblock mallory", Scope.Device),
        new("blocks", "parley blocks --json", Scope.Device),
        new("admin keygen", "parley admin keygen --out operator.key", Scope.None),
        new("admin reports", "parley admin reports --all --server http://SERVER:8080 --key operator.key", Scope.Server | Scope.OperatorKey),
        new("admin report show", "parley admin report show REPORT_ID --save-attachments ./evidence", Scope.Server | Scope.OperatorKey),
        new("admin report close", "parley admin report close REPORT_ID --resolution \"account suspended\"", Scope.Server | Scope.OperatorKey),
        new("admin suspend", "parley admin suspend mallory --reason spam", Scope.Server | Scope.OperatorKey),
        new("admin restore", "parley admin restore mallory --reason \"appeal accepted\"", Scope.Server | Scope.OperatorKey),
        new("admin takedown", "parley admin takedown town --post POST_ID --reason \"illegal content\"", Scope.Server | Scope.OperatorKey),
        new("admin restore-channel", "parley admin restore-channel town --reason \"reviewed\"", Scope.Server | Scope.OperatorKey),
        new("admin audit", "parley admin audit --json", Scope.Server | Scope.OperatorKey),
    ];

    /// <summary>The entry of <paramref name="command"/>, or null for a group of commands (or one missing from the table).</summary>
    public static CommandEntry? Find(Command command) => Entries.FirstOrDefault(e => e.Path == PathOf(command));

    /// <summary>A command's path under the root: <c>group create</c>.</summary>
    public static string PathOf(Command command)
    {
        var names = new List<string>();
        for (Command? c = command; c is not null and not RootCommand; c = c.Parents.OfType<Command>().FirstOrDefault())
        {
            names.Add(c.Name);
        }
        names.Reverse();
        return string.Join(' ', names);
    }

    /// <summary>Every command that runs something (not the groups), depth first.</summary>
    public static IEnumerable<Command> Leaves(Command command)
    {
        if (command.Action is not null && command is not RootCommand)
        {
            yield return command;
        }
        foreach (var sub in command.Subcommands.SelectMany(Leaves))
        {
            yield return sub;
        }
    }

    /// <summary>Gives each command the shared options its entry names (commands missing from the table get <c>--home</c>
    /// and <c>--server</c>, and the command-tree test fails until they are added).</summary>
    public static void ApplyScopes(RootCommand root)
    {
        foreach (var command in Leaves(root))
        {
            var scope = Find(command)?.Scope ?? Scope.Device;
            if (scope.HasFlag(Scope.Home))
            {
                command.Options.Add(GlobalOptions.Home);
            }
            if (scope.HasFlag(Scope.Server))
            {
                command.Options.Add(GlobalOptions.Server);
            }
            if (scope.HasFlag(Scope.OperatorKey))
            {
                command.Options.Add(GlobalOptions.OperatorKey);
            }
        }
    }
}
