using Parley.Content;
using System.CommandLine;
using Parley.Client;
using Parley.Client.Conversations;
using Parley.Client.Sync;
using Parley.Mls.Crypto;
using Spectre.Console;

namespace Parley.Cli.Commands;

/// <summary><c>parley group create|add|remove|leave|rename|list</c>.</summary>
internal static class GroupCommands
{
    public static Command Build()
    {
        var group = new Command("group", "Create and change groups, and list your conversations.");
        group.Subcommands.Add(Create());
        group.Subcommands.Add(Add());
        group.Subcommands.Add(Remove());
        group.Subcommands.Add(Leave());
        group.Subcommands.Add(Rename());
        group.Subcommands.Add(List());
        return group;
    }

    private static Argument<string> Group() => new("GROUP") { Description = "The group's name or id." };

    private static Argument<string[]> Users() => new("USERS") { Description = "User names, separated by spaces or commas.", Arity = ArgumentArity.OneOrMore };

    /// <summary>The user names in <paramref name="words"/>: each word may hold several, separated by commas
    /// (<c>bob carol</c> and <c>bob,carol</c> both name two).</summary>
    public static IReadOnlyList<string> Names(IEnumerable<string>? words)
        => (words ?? []).SelectMany(w => w.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).Distinct(StringComparer.Ordinal).ToList();

    private static Command Create()
    {
        var name = new Argument<string>("NAME") { Description = "The group's name." };
        var members = new Option<string[]>("--members")
        {
            Description = "The user names to add, separated by spaces or commas.",
            Required = true,
            AllowMultipleArgumentsPerToken = true,
        };
        var json = CliOutput.JsonOption();
        var command = new Command("create", "Create a group with the given members (all their devices, and your other devices).") { name, members, json };
        command.SetAction(CliSession.With(command, async (parse, client, cancellationToken) =>
        {
            var users = Names(parse.GetValue(members));
            int sameName = client.ConversationsNamed(parse.GetValue(name)!).Count;
            var conversation = await client.CreateGroupAsync(parse.GetValue(name)!, users, cancellationToken);
            if (sameName > 0)
            {
                Console.Error.WriteLine($"warning: you already had {(sameName == 1 ? "a conversation" : sameName + " conversations")} named {conversation.DisplayName}; "
                                        + $"name the new group by its id {Short(conversation)} (see `parley group list`).");
            }
            if (parse.GetValue(json))
            {
                CliOutput.WriteJson(new DoneView("created", conversation.DisplayName, conversation.SharedId,
                    string.Join(",", conversation.Members.Select(m => m.Username))), CliJsonContext.Default.DoneView);
                return 0;
            }
            Console.WriteLine($"Created {conversation.DisplayName} ({Short(conversation)}) with {string.Join(", ", conversation.Members.Select(m => m.Username))}.");
            return 0;
        }));
        return command;
    }

    private static Command Add()
    {
        var group = Group();
        var users = Users();
        var json = CliOutput.JsonOption();
        var command = new Command("add", "Add people (all their devices) to a group.") { group, users, json };
        command.SetAction(CliSession.With(command, async (parse, client, cancellationToken) =>
        {
            var conversation = client.GetConversation(parse.GetValue(group)!);
            var names = Names(parse.GetValue(users));
            var added = (await client.AddMembersAsync(conversation.Id, names, cancellationToken)).Select(m => m.Username).ToList();
            return CliOutput.Done(parse.GetValue(json), new DoneView("added", conversation.DisplayName, conversation.SharedId, string.Join(",", added)),
                $"Added {string.Join(", ", added)} to {conversation.DisplayName}.");
        }));
        return command;
    }

    private static Command Remove()
    {
        var group = Group();
        var users = Users();
        var json = CliOutput.JsonOption();
        var command = new Command("remove", "Remove people from a group; they cannot read what is sent after.") { group, users, json };
        command.SetAction(CliSession.With(command, async (parse, client, cancellationToken) =>
        {
            var conversation = client.GetConversation(parse.GetValue(group)!);
            var names = Names(parse.GetValue(users));
            await client.RemoveMembersAsync(conversation.Id, names, cancellationToken);
            return CliOutput.Done(parse.GetValue(json), new DoneView("removed", conversation.DisplayName, conversation.Id.ToString(), string.Join(",", names)),
                $"Removed {string.Join(", ", names)} from {conversation.DisplayName}.");
        }));
        return command;
    }

    private static Command Leave()
    {
        var group = Group();
        var json = CliOutput.JsonOption();
        var command = new Command("leave", "Leave a group (and delete it from this device).") { group, json };
        command.SetAction(CliSession.With(command, async (parse, client, cancellationToken) =>
        {
            var conversation = client.GetConversation(parse.GetValue(group)!);
            await client.LeaveAsync(conversation.Id, cancellationToken);
            return CliOutput.Done(parse.GetValue(json), new DoneView("left", conversation.DisplayName, conversation.Id.ToString(), null),
                $"Left {conversation.DisplayName}.");
        }));
        return command;
    }

    private static Command Rename()
    {
        var group = Group();
        var name = new Argument<string>("NAME") { Description = "The new name." };
        var json = CliOutput.JsonOption();
        var command = new Command("rename", "Rename a group for everyone.") { group, name, json };
        command.SetAction(CliSession.With(command, async (parse, client, cancellationToken) =>
        {
            var conversation = client.GetConversation(parse.GetValue(group)!);
            await client.RenameAsync(conversation.Id, parse.GetValue(name)!, cancellationToken);
            return CliOutput.Done(parse.GetValue(json), new DoneView("renamed", parse.GetValue(name), conversation.Id.ToString(), conversation.DisplayName),
                $"Renamed {conversation.DisplayName} to {parse.GetValue(name)}.");
        }));
        return command;
    }

    private static Command List()
    {
        var json = CliOutput.JsonOption();
        var command = new Command("list", "List your conversations (1:1 chats, groups and private channels).") { json };
        command.SetAction(CliSession.With(command, async (parse, client, cancellationToken) =>
        {
            // A private channel is a conversation too (its posts are unread until `parley channel read`), but not a
            // group: the group commands refuse it, and its other members are pseudonyms. It is listed as a channel,
            // with its admins as its members.
            var channels = client.ListChannels().ToDictionary(c => c.Conversation);
            var views = (await client.Store.ConversationsAsync(cancellationToken)).Select(c =>
            {
                ushort suite = client.SuiteOf(c.Id);
                bool postQuantum = CipherSuite.Get(suite).IsPostQuantum;
                return channels.TryGetValue(c.Id, out var channel)
                    ? new ConversationView(c.SharedId, channel.Name, "channel", channel.Admins, Disappear(c), c.UnreadCount, client.IsMember(c.Id),
                        suite, postQuantum)
                    : new ConversationView(c.SharedId, c.DisplayName, c.Kind == ConversationKind.Direct ? "direct" : "group",
                        c.Members.Select(m => m.Username).ToList(), Disappear(c), c.UnreadCount, client.IsMember(c.Id), suite, postQuantum);
            }).ToList();
            if (parse.GetValue(json))
            {
                CliOutput.WriteJson(views, CliJsonContext.Default.ListConversationView);
                return 0;
            }
            if (views.Count == 0)
            {
                Console.Error.WriteLine("No conversations yet: `parley send NAME TEXT` starts one.");
                return 0;
            }
            var table = new Table().AddColumns("Name", "Kind", "Members", "Disappear", "Unread", "Id");
            foreach (var v in views)
            {
                bool isChannel = v.Kind == "channel";
                table.AddRow(Markup.Escape(v.Name) + (v.Member ? "" : " (removed)"), v.Kind,
                    Markup.Escape((isChannel ? "admins: " : "") + string.Join(", ", v.Members)), v.DisappearAfter ?? "-",
                    v.Unread.ToString(System.Globalization.CultureInfo.InvariantCulture), v.Id[..ShortId]);
            }
            CliOutput.Ansi.Write(table);
            // Beneath the table rather than a column of it: the table already fills an 80-column terminal.
            Console.Error.WriteLine("MLS cipher suites: " + string.Join("; ", views.GroupBy(v => (v.CipherSuite, v.PostQuantum)).OrderByDescending(g => g.Key.PostQuantum)
                .Select(g => $"{g.Key.CipherSuite}{(g.Key.PostQuantum ? " (post-quantum)" : "")} for {string.Join(", ", g.Select(v => v.Name))}")) + ".");
            if (channels.Count > 0)
            {
                Console.Error.WriteLine("The channels above are private; read one with `parley channel read NAME`. `parley channel list` also shows public ones.");
            }
            return 0;
        }));
        return command;
    }

    // The id as tables and messages show it: its first 8 hex digits (any unambiguous prefix of 6 or more names it).
    private const int ShortId = 8;

    private static string Short(Conversation conversation) => conversation.SharedId[..ShortId];

    private static string? Disappear(Conversation conversation) => conversation.DisappearingTimer is { } t ? Durations.Format(t) : null;
}
