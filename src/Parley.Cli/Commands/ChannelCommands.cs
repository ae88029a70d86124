using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Parley.Client;
using Parley.Client.Channels;
using Parley.Client.Conversations;
using Parley.Client.Network;
using Parley.Client.Sync;
using Parley.Content;

namespace Parley.Cli.Commands;

/// <summary>A channel as <c>channel list</c> prints it.</summary>
internal sealed record ChannelListView(string Name, string Kind, string Role, IReadOnlyList<string> Admins, bool Member, string? Id, string? Server);

/// <summary>A post as <c>channel read</c> prints it.</summary>
internal sealed record ChannelPostView(string Id, string? From, string? Text, DateTimeOffset SentAt, bool Edited, bool Deleted, long? Views, bool Verified,
    string? Problem);

/// <summary>What <c>channel read</c> prints.</summary>
internal sealed record ChannelReadView(string Channel, string Kind, string Notice, string? OwnerKey, IReadOnlyList<ChannelPostView> Posts);

/// <summary>What <c>channel info</c> prints.</summary>
internal sealed record ChannelInfoView(string Name, string Kind, string Notice, string? Title, string? Description, IReadOnlyList<string> Admins,
    long? Subscribers, string? Role, string? Owner, string? OwnerFingerprint, string? OwnerKey, string? Server, string? Id);

/// <summary>An invite as <c>channel invite</c> and <c>channel invites</c> print it.</summary>
internal sealed record InviteView(string InviteId, string? Link, DateTimeOffset? ExpiresAt, bool Approval, bool Expired = false);

/// <summary>A pending join request as <c>channel requests</c> prints it.</summary>
internal sealed record JoinRequestView(string RequestId, string Status, bool Approval);

/// <summary>The result of a channel command that changes something.</summary>
internal sealed record ChannelDoneView(string Status, string Channel, string Kind, string? Id, string? Detail);

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, WriteIndented = false, DefaultIgnoreCondition = JsonIgnoreCondition.Never)]
[JsonSerializable(typeof(List<ChannelListView>))]
[JsonSerializable(typeof(ChannelReadView))]
[JsonSerializable(typeof(ChannelInfoView))]
[JsonSerializable(typeof(InviteView))]
[JsonSerializable(typeof(List<InviteView>))]
[JsonSerializable(typeof(List<JoinRequestView>))]
[JsonSerializable(typeof(ChannelDoneView))]
internal sealed partial class ChannelJsonContext : JsonSerializerContext;

/// <summary><c>parley channel …</c>: private channels (MLS groups where only admins post, subscribers are pseudonymous)
/// and public channels (signed, NOT encrypted, readable by anyone with the name).</summary>
internal static class ChannelCommands
{
    /// <summary>The sentence that marks public channels everywhere they are shown.</summary>
    public const string PublicNotice = "PUBLIC — anyone with the name can read this channel; posts are not encrypted.";

    /// <summary>The sentence that marks private channels.</summary>
    public const string PrivateNotice = "PRIVATE — end-to-end encrypted; only members read it, and members see no subscriber's name.";

    public static Command Build()
    {
        var channel = new Command("channel", "Broadcast channels: private (end-to-end encrypted, join by invite) or public (signed, readable by anyone).");
        channel.Subcommands.Add(Create());
        channel.Subcommands.Add(Post());
        channel.Subcommands.Add(Edit());
        channel.Subcommands.Add(Delete());
        channel.Subcommands.Add(Read());
        channel.Subcommands.Add(Info());
        channel.Subcommands.Add(List());
        channel.Subcommands.Add(Invite());
        channel.Subcommands.Add(Invites());
        channel.Subcommands.Add(RevokeInvite());
        channel.Subcommands.Add(Join());
        channel.Subcommands.Add(Leave());
        channel.Subcommands.Add(Requests());
        channel.Subcommands.Add(Approve());
        channel.Subcommands.Add(Deny());
        channel.Subcommands.Add(Admins());
        channel.Subcommands.Add(SetHistory());
        return channel;
    }

    private static Argument<string> Name() => new("NAME") { Description = "The channel's name." };

    private static Option<bool> Json() => CliOutput.JsonOption();

    // ---- create / post / edit / delete ----------------------------------------------------------

    private static Command Create()
    {
        var name = Name();
        var isPublic = new Option<bool>("--public") { Description = "Create a PUBLIC channel: anyone with the name can read it, and posts are not encrypted." };
        var title = new Option<string?>("--title") { Description = "A public channel's title." };
        var description = new Option<string?>("--description") { Description = "A public channel's description." };
        var history = HistoryOption();
        var json = Json();
        var command = new Command("create", "Create a private channel (you are its admin), or with --public a public one.")
        {
            name, isPublic, title, description, history, json,
        };
        command.SetAction(CliSession.With(command, async (parse, client, cancellationToken) =>
        {
            string requested = parse.GetValue(name)!;
            if (parse.GetValue(isPublic))
            {
                var info = await client.CreatePublicChannelAsync(requested, parse.GetValue(title), parse.GetValue(description), cancellationToken);
                if (parse.GetValue(json))
                {
                    CliOutput.WriteJson(new ChannelDoneView("created", info.Name, "public", null, PublicNotice), ChannelJsonContext.Default.ChannelDoneView);
                    return 0;
                }
                Console.WriteLine($"Created the public channel {info.Name} on {info.Server}.");
                Console.WriteLine(PublicNotice);
                return 0;
            }
            if (parse.GetValue(title) is not null || parse.GetValue(description) is not null)
            {
                throw new ParleyClientException("--title and --description are for public channels; a private channel's name is its title.");
            }
            var channel = await client.CreateChannelAsync(requested, parse.GetValue(history), cancellationToken);
            if (parse.GetValue(json))
            {
                CliOutput.WriteJson(new ChannelDoneView("created", channel.Name, "private", Conversation.SharedIdOf(channel.GroupId), PrivateNotice),
                    ChannelJsonContext.Default.ChannelDoneView);
                return 0;
            }
            Console.WriteLine($"Created the private channel {channel.Name}; you are its admin. Invite people with `parley channel invite {Quote(channel.Name)}`.");
            return 0;
        }));
        return command;
    }

    private static Command Post()
    {
        var name = Name();
        var text = new Argument<string>("TEXT") { Description = "What to post." };
        var json = Json();
        var command = new Command("post", "Post to a channel you are an admin of.") { name, text, json };
        command.SetAction(CliSession.With(command, async (parse, client, cancellationToken) =>
        {
            string channelName = parse.GetValue(name)!;
            string body = parse.GetValue(text)!;
            if (client.FindChannel(channelName) is { } channel)
            {
                var message = await client.PostAsync(channel, body, cancellationToken);
                if (message.State.Status == Parley.Client.Messages.DeliveryStatus.Failed)
                {
                    throw new CommandFailedException($"The server refused the post to {channel.Name}.", "send_refused");
                }
                if (parse.GetValue(json))
                {
                    CliOutput.WriteJson(new ChannelDoneView(message.State.Status.ToString().ToLowerInvariant(), channel.Name, "private",
                        message.MessageId, null), ChannelJsonContext.Default.ChannelDoneView);
                }
                else
                {
                    Console.WriteLine(message.State.Status == Parley.Client.Messages.DeliveryStatus.Pending
                        ? $"Queued post {message.MessageId} for {channel.Name}: the server is unreachable; it goes out with the next `parley receive`."
                        : $"Posted {message.MessageId} to {channel.Name}.");
                }
                return 0;
            }
            var post = await client.PublishAsync(channelName, body, cancellationToken);
            return Done(parse.GetValue(json), "posted", post.Channel, post.PostId, $"Posted {post.PostId} to the public channel {post.Channel}.");
        }));
        return command;
    }

    private static Command Edit()
    {
        var name = Name();
        var id = new Argument<string>("POST_ID") { Description = "The post's id (see `parley channel read`)." };
        var text = new Argument<string>("TEXT") { Description = "The new text." };
        var json = Json();
        var command = new Command("edit", "Replace the text of one of your posts, for every reader.") { name, id, text, json };
        command.SetAction(CliSession.With(command, async (parse, client, cancellationToken) =>
        {
            string channelName = parse.GetValue(name)!;
            string postId = parse.GetValue(id)!;
            if (client.FindChannel(channelName) is { } channel)
            {
                await client.EditPostAsync(channel, postId, parse.GetValue(text)!, cancellationToken);
                return Done(parse.GetValue(json), "edited", channel.Name, postId, $"Edited {postId} in {channel.Name}.", isPublic: false);
            }
            var post = await client.EditPublicPostAsync(channelName, postId, parse.GetValue(text)!, cancellationToken);
            return Done(parse.GetValue(json), "edited", post.Channel, postId, $"Edited {postId} in the public channel {post.Channel}.");
        }));
        return command;
    }

    private static Command Delete()
    {
        var name = Name();
        var id = new Argument<string>("POST_ID") { Description = "The post's id (see `parley channel read`)." };
        var json = Json();
        var command = new Command("delete", "Delete one of your posts, for every reader.") { name, id, json };
        command.SetAction(CliSession.With(command, async (parse, client, cancellationToken) =>
        {
            string channelName = parse.GetValue(name)!;
            string postId = parse.GetValue(id)!;
            if (client.FindChannel(channelName) is { } channel)
            {
                await client.DeletePostAsync(channel, postId, cancellationToken);
                return Done(parse.GetValue(json), "deleted", channel.Name, postId, $"Deleted {postId} from {channel.Name}.", isPublic: false);
            }
            var post = await client.DeletePublicPostAsync(channelName, postId, cancellationToken);
            return Done(parse.GetValue(json), "deleted", post.Channel, postId, $"Deleted {postId} from the public channel {post.Channel}.");
        }));
        return command;
    }

    private static Option<int> HistoryOption() => new("--history")
    {
        Description = $"How many recent posts each new subscriber gets from your device (0 to {PrivateChannelRecord.MaxHistoryLimit}; private channels).",
        DefaultValueFactory = _ => PrivateChannelRecord.DefaultHistoryLimit,
    };

    private static Command SetHistory()
    {
        var name = Name();
        var count = new Argument<int>("N") { Description = $"How many recent posts (0 to {PrivateChannelRecord.MaxHistoryLimit}; 0: none)." };
        var json = Json();
        var command = new Command("set-history", "Choose how many recent posts each new subscriber of a private channel gets (admins).") { name, count, json };
        command.SetAction(CliSession.With(command, async (parse, client, cancellationToken) =>
        {
            var channel = RequirePrivate(client, parse.GetValue(name)!);
            int n = parse.GetValue(count);
            await client.SetChannelHistoryLimitAsync(channel, n, cancellationToken);
            return Done(parse.GetValue(json), "updated", channel.Name, null, n == 0
                ? $"New subscribers of {channel.Name} start without earlier posts."
                : $"New subscribers of {channel.Name} get its {n} most recent post{(n == 1 ? "" : "s")} when your Parley adds them.", isPublic: false);
        }));
        return command;
    }

    // ---- read / info / list ---------------------------------------------------------------------

    private static Command Read()
    {
        var name = Name();
        var limit = new Option<int>("--limit") { Description = "Show at most this many of the latest posts.", DefaultValueFactory = _ => 50 };
        var accept = new Option<bool>("--accept-new-owner") { Description = "Pin a public channel's owner key again after it changed (check the new owner first)." };
        var json = Json();
        var command = new Command("read", "Show a channel's posts in order. Public channels need no account: give --server URL.") { name, limit, accept, json };
        command.SetAction(CliSession.WithOptional(command, async (parse, client, cancellationToken) =>
        {
            string channelName = parse.GetValue(name)!;
            int max = parse.GetValue(limit);
            if (max <= 0)
            {
                throw new ParleyClientException("--limit is a positive number of posts.");
            }
            bool asJson = parse.GetValue(json);
            if (client is not null && client.FindChannel(channelName) is { } channel)
            {
                var posts = await client.ReadChannelAsync(channel, max, countViews: true, cancellationToken);
                var view = new ChannelReadView(channel.Name, "private", PrivateNotice, null, posts.Select(p => new ChannelPostView(p.Message.MessageId,
                    p.Message.SenderUsername, p.Message.Text, p.Message.SentAt, p.Message.State.EditedText is not null, p.Message.State.Deleted, p.Views,
                    true, null)).ToList());
                return Print(view, asJson);
            }
            Uri? server = GlobalOptions.ServerOf(parse);
            if (client is not null && parse.GetValue(accept))
            {
                await client.AcceptPublicChannelOwnerAsync(channelName, server, cancellationToken);
            }
            var reading = client is not null
                ? await WhenNoPrivateChannel(channelName, () => client.ReadPublicChannelAsync(channelName, server, max, countViews: true, cancellationToken))
                : await ParleyClient.ReadPublicChannelAnonymouslyAsync(server ?? throw new ParleyClientException(
                        $"There is no Parley home in {GlobalOptions.HomeOf(parse)}; to read a public channel without an account, give --server URL."),
                    channelName, max, countViews: true, null, cancellationToken);
            var publicView = new ChannelReadView(reading.Channel.Name, "public", PublicNotice, OwnerKeyText(reading.OwnerKey),
                reading.Posts.Select(p => new ChannelPostView(p.PostId, p.Post?.Author, p.Text, p.Post?.SentAt ?? default, p.Edited, p.Deleted, p.Views,
                    p.Verified, p.Problem)).ToList());
            if (reading.OwnerKey == OwnerKeyStatus.Changed)
            {
                Console.Error.WriteLine(OwnerChangedWarning(reading.Channel));
            }
            int code = Print(publicView, asJson, reading.Channel);
            if (reading.OwnerKey == OwnerKeyStatus.Changed)
            {
                return CliErrors.IdentityChanged;
            }
            return publicView.Posts.Any(p => !p.Verified && !p.Deleted) ? CliErrors.Failed : code;
        }, serverIsDevices: false));
        return command;
    }

    private static int Print(ChannelReadView view, bool json, PublicChannelInfo? info = null)
    {
        if (json)
        {
            CliOutput.WriteJson(view, ChannelJsonContext.Default.ChannelReadView);
            return 0;
        }
        Console.WriteLine(view.Kind == "public"
            ? $"{view.Channel} (on {info?.Server}) — {view.Notice}"
            : $"{view.Channel} — {view.Notice}");
        if (view.OwnerKey == "pinned-now" && info is not null)
        {
            Console.WriteLine($"Pinned the owner {info.Owner}'s key ({ParleyClient.KeyFingerprint(PublicChannelReader.OwnerKey(info))}) on first read.");
        }
        if (view.Posts.Count == 0)
        {
            Console.WriteLine("No posts yet.");
        }
        foreach (var p in view.Posts)
        {
            string views = p.Views is { } n ? $" · {n} view{(n == 1 ? "" : "s")}" : "";
            string time = p.SentAt == default ? "--:--" : p.SentAt.ToLocalTime().ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture);
            if (!p.Verified && !p.Deleted)
            {
                Console.WriteLine($"{time} [{p.Id}] UNVERIFIED — not shown: {p.Problem}.");
            }
            else if (p.Deleted)
            {
                Console.WriteLine($"{time} [{p.Id}] {p.From ?? "?"}: (deleted)");
            }
            else
            {
                string mark = view.Kind == "public" ? " ✓ signed" : "";
                Console.WriteLine($"{time} [{p.Id}] {p.From ?? "?"}: {p.Text}{(p.Edited ? " (edited)" : "")}{views}{mark}");
            }
        }
        return 0;
    }

    private static string? OwnerKeyText(OwnerKeyStatus status) => status switch
    {
        OwnerKeyStatus.NotPinned => "not-pinned",
        OwnerKeyStatus.PinnedNow => "pinned-now",
        OwnerKeyStatus.Matches => "matches",
        OwnerKeyStatus.Changed => "CHANGED",
        _ => null,
    };

    private static string OwnerChangedWarning(PublicChannelInfo info)
        => $"WARNING: the owner key of the public channel {info.Name} CHANGED since you first read it. The server now names {info.Owner} with key "
           + $"{ParleyClient.KeyFingerprint(PublicChannelReader.OwnerKey(info))}; posts signed under the new key may not come from the channel you know. "
           + $"Check with the owner, then run `parley channel read {info.Name} --accept-new-owner`.";

    private static Command Info()
    {
        var name = Name();
        var json = Json();
        var command = new Command("info", "Show whether a channel is PUBLIC or PRIVATE, its admins and how many subscribers it has.") { name, json };
        command.SetAction(CliSession.WithOptional(command, async (parse, client, cancellationToken) =>
        {
            string channelName = parse.GetValue(name)!;
            if (client is not null && client.FindChannel(channelName) is { } channel)
            {
                var summary = await client.GetChannelSummaryAsync(channel, cancellationToken);
                var privateView = new ChannelInfoView(channel.Name, "private", PrivateNotice, null, null, channel.Admins,
                    summary.Subscribers ?? summary.LocalSubscribers, channel.IsAdmin ? "admin" : "subscriber", null, null, null, null,
                    Conversation.SharedIdOf(channel.GroupId));
                if (parse.GetValue(json))
                {
                    CliOutput.WriteJson(privateView, ChannelJsonContext.Default.ChannelInfoView);
                    return 0;
                }
                Console.WriteLine($"{channel.Name} — {PrivateNotice}");
                Console.WriteLine($"Admins: {string.Join(", ", channel.Admins)}");
                Console.WriteLine($"Subscribers: {privateView.Subscribers} (shown to nobody by name)");
                Console.WriteLine($"You are: {(channel.IsActive ? privateView.Role : "removed")}");
                return 0;
            }
            Uri? server = GlobalOptions.ServerOf(parse);
            PublicChannelInfo info;
            OwnerKeyStatus status = OwnerKeyStatus.NotPinned;
            if (client is not null)
            {
                (info, status) = await WhenNoPrivateChannel(channelName, () => client.GetPublicChannelAsync(channelName, server, cancellationToken));
            }
            else
            {
                using var anonymous = new ParleyServerClient(server ?? throw new ParleyClientException(
                    $"There is no Parley home in {GlobalOptions.HomeOf(parse)} and no private channel {channelName}; give --server URL for a public channel."));
                info = await PublicChannelReader.GetInfoAsync(anonymous, ParleyClient.CheckPublicChannelName(channelName), cancellationToken);
            }
            string? role = client is null ? null : info.Admins.Any(a => a.Username == client.Username) ? "admin" : "reader";
            var view = new ChannelInfoView(info.Name, "public", PublicNotice, info.Title, info.Description, info.Admins.Select(a => a.Username).ToList(),
                null, role, info.Owner, ParleyClient.KeyFingerprint(PublicChannelReader.OwnerKey(info)), OwnerKeyText(status),
                info.Server.ToString(), null);
            if (status == OwnerKeyStatus.Changed)
            {
                Console.Error.WriteLine(OwnerChangedWarning(info));
            }
            if (parse.GetValue(json))
            {
                CliOutput.WriteJson(view, ChannelJsonContext.Default.ChannelInfoView);
            }
            else
            {
                Console.WriteLine($"{info.Name} (on {info.Server}) — {PublicNotice}");
                if (!string.IsNullOrEmpty(info.Title))
                {
                    Console.WriteLine($"Title: {info.Title}");
                }
                if (!string.IsNullOrEmpty(info.Description))
                {
                    Console.WriteLine($"Description: {info.Description}");
                }
                Console.WriteLine($"Owner: {info.Owner} (key {view.OwnerFingerprint}{(status == OwnerKeyStatus.NotPinned ? ", not pinned" : "")})");
                Console.WriteLine($"Admins: {string.Join(", ", view.Admins)}");
            }
            return status == OwnerKeyStatus.Changed ? CliErrors.IdentityChanged : 0;
        }, serverIsDevices: false));
        return command;
    }

    private static Command List()
    {
        var json = Json();
        var command = new Command("list", "List the channels this device is in, has created or has read, and its pending join requests.") { json };
        command.SetAction(CliSession.With(command, async (parse, client, cancellationToken) =>
        {
            var pending = await client.ListJoinRequestsAsync(cancellationToken);
            var views = client.ListChannels().Select(c => new ChannelListView(c.Name, "private", c.IsAdmin ? "admin" : "subscriber", c.Admins, c.IsActive,
                    Conversation.SharedIdOf(c.GroupId), null))
                .Concat(client.KnownPublicChannels().Select(p => new ChannelListView(p.Name, "public",
                    p.Owner == client.Username ? "owner" : p.Subscribed ? "subscriber" : "reader", [p.Owner], true, null, p.Server.ToString())))
                .Concat(pending.Select(r => new ChannelListView("(join request " + r.RequestId + ")", "private", r.Status, [], false, null, r.Server.ToString())))
                .ToList();
            if (parse.GetValue(json))
            {
                CliOutput.WriteJson(views, ChannelJsonContext.Default.ListChannelListView);
                return 0;
            }
            if (views.Count == 0)
            {
                Console.Error.WriteLine("No channels yet: `parley channel create NAME` creates one, `parley channel join LINK` joins one.");
                return 0;
            }
            foreach (var v in views)
            {
                string what = v.Kind == "public" ? "PUBLIC (not encrypted)" : "private";
                Console.WriteLine($"{v.Name,-24} {what,-22} {v.Role}{(v.Member || v.Id is null ? "" : " (removed)")}{(v.Kind == "public" ? $" on {v.Server}" : "")}");
            }
            return 0;
        }));
        return command;
    }

    // ---- invites and joining --------------------------------------------------------------------

    private static Command Invite()
    {
        var name = Name();
        var expires = new Option<string?>("--expires") { Description = "The link stops working after this long (e.g. 1h, 7d, 2w)." };
        var approval = new Option<bool>("--approval") { Description = "An admin must approve each request (`parley channel approve`)." };
        var json = Json();
        var command = new Command("invite", "Create an invite link to a private channel (admins).") { name, expires, approval, json };
        command.SetAction(CliSession.With(command, async (parse, client, cancellationToken) =>
        {
            var channel = RequirePrivate(client, parse.GetValue(name)!);
            TimeSpan? lifetime = parse.GetValue(expires) is { } text ? Durations.Parse(text) : null;
            var invite = await client.CreateInviteAsync(channel, lifetime, parse.GetValue(approval), cancellationToken);
            if (parse.GetValue(json))
            {
                CliOutput.WriteJson(new InviteView(invite.InviteId, invite.Link.ToString(), invite.ExpiresAt, invite.Approval), ChannelJsonContext.Default.InviteView);
                return 0;
            }
            Console.WriteLine(invite.Link.ToString());
            Console.Error.WriteLine($"Invite {invite.InviteId} to {channel.Name}: {(invite.ExpiresAt is { } at ? $"works until {at.ToLocalTime():yyyy-MM-dd HH:mm}" : "never expires")}; "
                                    + (invite.Approval ? "an admin approves each request." : "requests are added when an admin's Parley syncs.")
                                    + $" Revoke it with `parley channel revoke-invite {Quote(channel.Name)} {invite.InviteId}`.");
            return 0;
        }));
        return command;
    }

    private static Command Invites()
    {
        var name = Name();
        var json = Json();
        var command = new Command("invites", "List a private channel's invites (admins).") { name, json };
        command.SetAction(CliSession.With(command, async (parse, client, cancellationToken) =>
        {
            var channel = RequirePrivate(client, parse.GetValue(name)!);
            var invites = (await client.ListInvitesAsync(channel, cancellationToken)).Select(i => new InviteView(i.InviteId, null, i.ExpiresAt, i.Approval, i.Expired)).ToList();
            if (parse.GetValue(json))
            {
                CliOutput.WriteJson(invites, ChannelJsonContext.Default.ListInviteView);
                return 0;
            }
            if (invites.Count == 0)
            {
                Console.Error.WriteLine($"{channel.Name} has no invites; `parley channel invite {Quote(channel.Name)}` creates one.");
            }
            foreach (var i in invites)
            {
                string expiry = i.Expired ? "EXPIRED"
                    : i.ExpiresAt is { } at ? "expires " + at.ToLocalTime().ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture) : "no expiry";
                Console.WriteLine($"{i.InviteId}  {expiry}{(i.Approval ? "  approval" : "")}");
            }
            return 0;
        }));
        return command;
    }

    private static Command RevokeInvite()
    {
        var name = Name();
        var id = new Argument<string>("INVITE_ID") { Description = "The invite's id (see `parley channel invites`)." };
        var json = Json();
        var command = new Command("revoke-invite", "Revoke an invite link (admins); members who joined with it stay.") { name, id, json };
        command.SetAction(CliSession.With(command, async (parse, client, cancellationToken) =>
        {
            var channel = RequirePrivate(client, parse.GetValue(name)!);
            await client.RevokeInviteAsync(channel, parse.GetValue(id)!, cancellationToken);
            return Done(parse.GetValue(json), "revoked", channel.Name, parse.GetValue(id), $"Revoked invite {parse.GetValue(id)}; its link no longer works.",
                isPublic: false);
        }));
        return command;
    }

    private static Command Join()
    {
        var target = new Argument<string>("LINK_OR_NAME") { Description = "An invite link (parley-invite:…) for a private channel, or a public channel's name." };
        var json = Json();
        var command = new Command("join", "Join a private channel by invite link (as an anonymous subscriber), or subscribe to a public channel.") { target, json };
        command.SetAction(CliSession.With(command, async (parse, client, cancellationToken) =>
        {
            string text = parse.GetValue(target)!;
            if (InviteLink.LooksLikeLink(text))
            {
                var request = await client.JoinChannelAsync(InviteLink.Parse(text), cancellationToken);
                var joined = request.Channel;
                if (joined is null)
                {
                    // An admin's device may add the request at once: take the Welcome if it is already there.
                    var report = await client.SyncAsync(cancellationToken);
                    joined = report.Events.OfType<ConversationJoined>().Select(j => client.FindChannel(j.Conversation.DisplayName)).FirstOrDefault(c => c is not null);
                }
                if (parse.GetValue(json))
                {
                    CliOutput.WriteJson(new ChannelDoneView(joined is null ? request.Status : "joined", joined?.Name ?? "", "private", request.RequestId,
                        PrivateNotice), ChannelJsonContext.Default.ChannelDoneView);
                    return 0;
                }
                Console.WriteLine(joined is not null
                    ? $"Joined {joined.Name} as an anonymous subscriber: members see you only as a pseudonym."
                    : $"Asked to join (request {request.RequestId}, {request.Status}). You join as an anonymous subscriber when an admin's Parley adds you; run `parley receive` later.");
                return 0;
            }
            var info = await client.SubscribePublicAsync(text, subscribe: true, cancellationToken);
            if (parse.GetValue(json))
            {
                CliOutput.WriteJson(new ChannelDoneView("subscribed", info.Name, "public", null, PublicNotice), ChannelJsonContext.Default.ChannelDoneView);
                return 0;
            }
            Console.WriteLine($"Subscribed to the public channel {info.Name} (kept on this device; the server does not record who subscribes). {PublicNotice}");
            return 0;
        }));
        return command;
    }

    private static Command Leave()
    {
        var name = Name();
        var json = Json();
        var command = new Command("leave", "Leave a private channel (subscribers), or unsubscribe from a public channel.") { name, json };
        command.SetAction(CliSession.With(command, async (parse, client, cancellationToken) =>
        {
            string channelName = parse.GetValue(name)!;
            if (client.FindChannel(channelName) is { } channel)
            {
                await client.LeaveChannelAsync(channel, cancellationToken);
                return Done(parse.GetValue(json), "left", channel.Name, null, $"Left {channel.Name}.", isPublic: false);
            }
            var info = await client.SubscribePublicAsync(channelName, subscribe: false, cancellationToken);
            return Done(parse.GetValue(json), "unsubscribed", info.Name, null, $"Unsubscribed from the public channel {info.Name}.");
        }));
        return command;
    }

    private static Command Requests()
    {
        var name = Name();
        var json = Json();
        var command = new Command("requests", "List a private channel's pending join requests (admins).") { name, json };
        command.SetAction(CliSession.With(command, async (parse, client, cancellationToken) =>
        {
            var channel = RequirePrivate(client, parse.GetValue(name)!);
            var requests = (await client.ListChannelRequestsAsync(channel, cancellationToken)).Select(r => new JoinRequestView(r.RequestId, "pending", r.Approval)).ToList();
            if (parse.GetValue(json))
            {
                CliOutput.WriteJson(requests, ChannelJsonContext.Default.ListJoinRequestView);
                return 0;
            }
            if (requests.Count == 0)
            {
                Console.Error.WriteLine($"No pending requests to join {channel.Name}.");
            }
            foreach (var r in requests)
            {
                Console.WriteLine($"{r.RequestId}  {(r.Approval ? "waits for approval" : "added on the next sync")}");
            }
            return 0;
        }));
        return command;
    }

    private static Command Approve()
    {
        var name = Name();
        var id = new Argument<string>("REQUEST_ID") { Description = "The request's id (see `parley channel requests`)." };
        var json = Json();
        var command = new Command("approve", "Approve a join request (admins): the requester joins as an anonymous subscriber.") { name, id, json };
        command.SetAction(CliSession.With(command, async (parse, client, cancellationToken) =>
        {
            var channel = RequirePrivate(client, parse.GetValue(name)!);
            await client.ApproveJoinRequestAsync(channel, parse.GetValue(id)!, cancellationToken);
            return Done(parse.GetValue(json), "approved", channel.Name, parse.GetValue(id), $"Approved {parse.GetValue(id)}: they join {channel.Name} with their next sync.",
                isPublic: false);
        }));
        return command;
    }

    private static Command Deny()
    {
        var name = Name();
        var id = new Argument<string>("REQUEST_ID") { Description = "The request's id (see `parley channel requests`)." };
        var json = Json();
        var command = new Command("deny", "Deny a join request (admins).") { name, id, json };
        command.SetAction(CliSession.With(command, async (parse, client, cancellationToken) =>
        {
            var channel = RequirePrivate(client, parse.GetValue(name)!);
            await client.DenyJoinRequestAsync(channel, parse.GetValue(id)!, cancellationToken);
            return Done(parse.GetValue(json), "denied", channel.Name, parse.GetValue(id), $"Denied {parse.GetValue(id)}.", isPublic: false);
        }));
        return command;
    }

    // ---- admins ---------------------------------------------------------------------------------

    private static Command Admins()
    {
        var admins = new Command("admins", "Add or remove a channel's admins. Admins post under their own name; subscribers cannot be promoted (they are anonymous).");
        admins.Subcommands.Add(AdminChange("add", "Make an account an admin: all its devices join the channel under its name.", add: true));
        admins.Subcommands.Add(AdminChange("remove", "Take an account's admin rights away; in a private channel its devices leave it.", add: false));
        return admins;
    }

    private static Command AdminChange(string verb, string description, bool add)
    {
        var name = Name();
        var user = new Argument<string>("USER") { Description = "The account's user name." };
        var json = Json();
        var command = new Command(verb, description) { name, user, json };
        command.SetAction(CliSession.With(command, async (parse, client, cancellationToken) =>
        {
            string channelName = parse.GetValue(name)!;
            string username = parse.GetValue(user)!;
            if (client.FindChannel(channelName) is { } channel)
            {
                channel = add
                    ? await client.AddChannelAdminAsync(channel, username, cancellationToken)
                    : await client.RemoveChannelAdminAsync(channel, username, cancellationToken);
                return Done(parse.GetValue(json), add ? "added" : "removed", channel.Name, null,
                    $"{channel.Name} admins: {string.Join(", ", channel.Admins)}.", isPublic: false);
            }
            var info = await client.SetPublicAdminAsync(channelName, username, add, cancellationToken);
            return Done(parse.GetValue(json), add ? "added" : "removed", info.Name, null,
                $"{info.Name} admins: {string.Join(", ", info.Admins.Select(a => a.Username))}. {PublicNotice}");
        }));
        return command;
    }

    // ---- helpers --------------------------------------------------------------------------------

    private static PrivateChannel RequirePrivate(ParleyClient client, string name)
        => client.FindChannel(name) ?? throw new ParleyClientException(
            $"You are in no private channel named {name}; invites, requests and approvals are for private channels (see `parley channel list`).");

    // A person with a home who names no private channel may have mistyped one: say both.
    private static async Task<T> WhenNoPrivateChannel<T>(string name, Func<Task<T>> readPublic)
    {
        try
        {
            return await readPublic();
        }
        catch (ParleyClientException e) when (e.Code is ClientError.PublicChannelNotFound or ClientError.PublicChannelNameInvalid)
        {
            throw new ParleyClientException($"You are in no private channel named {name}, and {char.ToLowerInvariant(e.Message[0])}{e.Message[1..].TrimEnd('.')} (see `parley channel list`).", e);
        }
    }

    private static int Done(bool json, string status, string channel, string? id, string sentence, bool isPublic = true)
    {
        if (json)
        {
            CliOutput.WriteJson(new ChannelDoneView(status, channel, isPublic ? "public" : "private", id, isPublic ? PublicNotice : null),
                ChannelJsonContext.Default.ChannelDoneView);
        }
        else
        {
            Console.WriteLine(sentence);
            if (isPublic && !sentence.Contains(PublicNotice, StringComparison.Ordinal))
            {
                Console.WriteLine(PublicNotice);
            }
        }
        return 0;
    }

    private static string Quote(string name) => CliOutput.Quoted(name);
}
