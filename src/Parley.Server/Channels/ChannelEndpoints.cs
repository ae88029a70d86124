// docs/channels.md, "Private channels", and docs/server-protocol.md, "Channels".
using System.Security.Claims;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Parley.Server.Delivery;
using Parley.Server.Devices;
using Parley.Server.Groups;
using Parley.Server.Http;
using Parley.Server.Operations;

namespace Parley.Server.Channels;

/// <summary>Private channels: registering a group as a channel, its admins and subscriber count, invite links, join
/// requests, and per-post view counts. Posts themselves are ordinary MLS application messages to the group.</summary>
public static class ChannelEndpoints
{
    /// <summary>Most pending join requests a channel holds; admins' clients add or deny them as they sync.</summary>
    public const int MaxPendingRequests = 1000;

    /// <summary>Size of a view token (an HMAC-SHA256 output).</summary>
    public const int ViewTokenSize = 32;

    public static IEndpointRouteBuilder MapChannelEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapPost("/v1/channels", Register).RequireAuthorization()
            .WithSummary("Registers a group the caller's account alone is in as a private channel, the account its first admin.");
        app.MapGet("/v1/channels/{groupId}", Get).RequireAuthorization(DeviceAuthenticationHandler.MemberPolicy)
            .WithSummary("Returns the channel's admins and subscriber count (members only).");
        app.MapPost("/v1/channels/{groupId}/invites", CreateInvite).RequireAuthorization()
            .WithSummary("Creates an invite link (admins).");
        app.MapGet("/v1/channels/{groupId}/invites", ListInvites).RequireAuthorization()
            .WithSummary("Lists the channel's invites (admins).");
        app.MapDelete("/v1/channels/{groupId}/invites/{inviteId}", RevokeInvite).RequireAuthorization()
            .WithSummary("Revokes an invite and denies its pending requests (admins).");
        app.MapPost("/v1/invites/{token}/requests", Join).RequireAuthorization(DeviceAuthenticationHandler.QueuePolicy)
            .WithSummary("Asks to join the invite's channel with a pseudonymous key package; the caller's subscriber queue gets the Welcome.");
        app.MapGet("/v1/invites/{token}/group-info", GetGroupInfo).AllowAnonymous()
            .WithSummary("Returns the channel's current GroupInfo with its ratchet tree, for joining by external commit (invites without approval).");
        app.MapPost("/v1/invites/{token}/join", JoinByExternalCommit).RequireAuthorization(DeviceAuthenticationHandler.QueuePolicy)
            .WithMetadata(new SendSizeLimit(app.ServiceProvider.GetRequiredService<IOptions<ParleyServerOptions>>().Value.MaxSendRequestBytes))
            .WithSummary("Joins the invite's channel at once by an external commit whose pseudonymous leaf the caller's queue holds (invites without approval).");
        app.MapGet("/v1/channels/{groupId}/requests", ListRequests).RequireAuthorization()
            .WithSummary("Lists pending join requests with the key packages to add (admins).");
        app.MapDelete("/v1/channels/{groupId}/requests/{requestId}", DenyRequest).RequireAuthorization()
            .WithSummary("Denies a pending join request (admins).");
        app.MapGet("/v1/join-requests/{requestId}", GetRequest).RequireAuthorization(DeviceAuthenticationHandler.QueuePolicy)
            .WithSummary("Returns the caller's own join request while it is pending.");
        app.MapPost("/v1/channels/{groupId}/queue", MoveToQueue).RequireAuthorization()
            .WithSummary("Hands the calling device's subscriber leaf to an anonymous queue (subscribers who joined before queues existed).");
        app.MapPost("/v1/channels/{groupId}/posts/{messageId}/views", AddView).RequireAuthorization(DeviceAuthenticationHandler.MemberPolicy)
            .WithSummary("Counts a view of a post once per view token (members).");
        app.MapGet("/v1/channels/{groupId}/posts/{messageId}/views", GetViews).RequireAuthorization(DeviceAuthenticationHandler.MemberPolicy)
            .WithSummary("Returns how many distinct views a post has (members).");
        return app;
    }

    private static async Task<Results<Created<ChannelResponse>, ProblemHttpResult>> Register(
        RegisterChannelRequest request, ClaimsPrincipal user, IChannelStore channels, CancellationToken cancellationToken)
    {
        var (device, account) = DevicePrincipal.Of(user);
        if (!GroupId.TryParse(request.GroupId, out GroupId id))
        {
            return Problem.BadRequest(ProblemCodes.InvalidGroupId, "A group id is 1 to 64 bytes in unpadded base64url.");
        }
        switch (await channels.RegisterAsync(id, device, account, cancellationToken))
        {
            case RegisterChannelOutcome.AlreadyChannel:
                return Problem.Conflict(ProblemCodes.ChannelExists, "This group is already a channel.");
            case RegisterChannelOutcome.NotMember:
                return Problem.NotFound(ProblemCodes.GroupNotFound, "You are not a member of a group with this id; create it first with POST /v1/groups.");
            case RegisterChannelOutcome.OtherMembers:
                return Problem.Conflict(ProblemCodes.GroupHasOtherMembers,
                    "Only a group of your own devices can become a channel; create a fresh group for it.");
        }
        ChannelInfo info = (await channels.FindAsync(id, cancellationToken))!;
        return TypedResults.Created($"/v1/channels/{id.Value}", ToResponse(info));
    }

    private static async Task<Results<Ok<ChannelResponse>, ProblemHttpResult>> Get(
        string groupId, ClaimsPrincipal user, IChannelStore channels, CancellationToken cancellationToken)
    {
        var (group, problem) = await AccessAsync(groupId, user, channels, adminOnly: false, cancellationToken);
        if (problem is not null || await channels.FindAsync(group, cancellationToken) is not { } info)
        {
            return problem ?? ChannelNotFound();
        }
        return TypedResults.Ok(ToResponse(info));
    }

    private static async Task<Results<Created<InviteCreatedResponse>, ProblemHttpResult>> CreateInvite(
        string groupId, CreateInviteRequest request, ClaimsPrincipal user, IChannelStore channels, TimeProvider time,
        CancellationToken cancellationToken)
    {
        var (group, problem) = await AccessAsync(groupId, user, channels, adminOnly: true, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }
        DateTimeOffset now = time.GetUtcNow();
        if (request.ExpiresAt is { } expiresAt && expiresAt <= now)
        {
            return Problem.BadRequest(ProblemCodes.InvalidExpiry, "An invite's expiresAt must be in the future (or null for never).");
        }
        string token = InviteToken.New();
        InviteToken.TryHash(token, out byte[] tokenHash);
        var invite = new ChannelInvite(InviteToken.NewId(), group, tokenHash, request.Approval, request.ExpiresAt, now);
        await channels.CreateInviteAsync(invite, cancellationToken);
        return TypedResults.Created($"/v1/channels/{group.Value}/invites/{invite.InviteId}",
            new InviteCreatedResponse(invite.InviteId, token, invite.ExpiresAt, invite.Approval));
    }

    private static async Task<Results<Ok<InviteListResponse>, ProblemHttpResult>> ListInvites(
        string groupId, ClaimsPrincipal user, IChannelStore channels, TimeProvider time, CancellationToken cancellationToken)
    {
        var (group, problem) = await AccessAsync(groupId, user, channels, adminOnly: true, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }
        DateTimeOffset now = time.GetUtcNow();
        IReadOnlyList<ChannelInvite> invites = await channels.ListInvitesAsync(group, cancellationToken);
        return TypedResults.Ok(new InviteListResponse(invites
            .Select(i => new InviteEntry(i.InviteId, i.ExpiresAt, i.Approval, i.CreatedAt, i.ExpiresAt <= now)).ToList()));
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> RevokeInvite(
        string groupId, string inviteId, ClaimsPrincipal user, IChannelStore channels, CancellationToken cancellationToken)
    {
        var (group, problem) = await AccessAsync(groupId, user, channels, adminOnly: true, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }
        if (!InviteToken.IsId(inviteId) || !await channels.RevokeInviteAsync(group, inviteId, cancellationToken))
        {
            return Problem.NotFound(ProblemCodes.InviteNotFound, "The channel has no invite with this id.");
        }
        return TypedResults.NoContent();
    }

    private static async Task<Results<Accepted<JoinRequestResponse>, ProblemHttpResult>> Join(
        string token, CreateJoinRequest request, ClaimsPrincipal user, IChannelStore channels, IDeviceStore devices, TimeProvider time,
        IOptions<ParleyServerOptions> options, CancellationToken cancellationToken)
    {
        DeviceId queue = DevicePrincipal.Sender(user);
        DateTimeOffset now = time.GetUtcNow();
        var (invite, problem) = await LiveInviteAsync(token, channels, now, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }
        var (keyPackage, keyPackageRef, error) = JoinKeyPackageRules.Validate(request.KeyPackage, invite!.CipherSuite, now);
        if (error is not null)
        {
            return Problem.Unprocessable(ProblemCodes.InvalidKeyPackage, error);
        }
        if (await IsDeviceKeyAsync(keyPackage!.LeafNode.SignatureKey, devices, cancellationToken))
        {
            return Problem.Unprocessable(ProblemCodes.InvalidKeyPackage,
                "The key package must use a fresh per-channel signature key, not a registered device's key.");
        }
        // No time is kept but the expiry hour: the request must not tell when someone asked.
        var joinRequest = new JoinRequest(InviteToken.NewId(), invite.Group, invite.InviteId, queue, keyPackageRef!, request.KeyPackage!,
            invite.Approval, Mailboxes.MailboxExpiry.ExpiryOf(now, options.Value.MessageRetention));
        InviteToken.TryHash(token, out byte[] tokenHash);
        var (outcome, stored) = await channels.CreateJoinRequestAsync(joinRequest, tokenHash, now, MaxPendingRequests, cancellationToken);
        return outcome switch
        {
            JoinRequestOutcome.Created or JoinRequestOutcome.Repeated
                => TypedResults.Accepted($"/v1/join-requests/{stored!.RequestId}", ToResponse(stored)),
            JoinRequestOutcome.InviteExpired => InviteExpired(),
            JoinRequestOutcome.AlreadyMember => Problem.Conflict(ProblemCodes.AlreadyMember, "This queue is already in the channel."),
            JoinRequestOutcome.TooManyPending => Problem.Conflict(ProblemCodes.TooManyJoinRequests,
                "The channel has too many pending join requests; try again after its admins have handled them."),
            JoinRequestOutcome.KeyPackageTaken => Problem.Unprocessable(ProblemCodes.InvalidKeyPackage,
                "This key package was already sent with another request; generate a fresh one."),
            _ => InviteNotFound(),
        };
    }

    private static async Task<Results<Ok<ChannelGroupInfoResponse>, ProblemHttpResult>> GetGroupInfo(
        string token, IChannelStore channels, TimeProvider time, CancellationToken cancellationToken)
    {
        var (invite, problem) = await LiveInviteAsync(token, channels, time.GetUtcNow(), cancellationToken);
        if (problem is not null)
        {
            return problem;
        }
        if (invite!.Approval)
        {
            return Problem.Forbidden(ProblemCodes.InviteNeedsApproval, "This invite needs an admin's approval; send a join request instead.");
        }
        return await channels.FindGroupInfoAsync(invite.Group, cancellationToken) is { } groupInfo
            ? TypedResults.Ok(new ChannelGroupInfoResponse(groupInfo))
            : Problem.NotFound(ProblemCodes.GroupInfoUnavailable,
                "The channel's current state is not available for joining at once; send a join request, which an admin's device adds.");
    }

    private static async Task<Results<Ok<SendResponse>, ProblemHttpResult>> JoinByExternalCommit(
        string token, SendRequest request, ClaimsPrincipal user, IChannelStore channels, IGroupStore groups, DeviceConnections connections,
        ServerMetrics metrics, TimeProvider time, IOptions<ParleyServerOptions> options, CancellationToken cancellationToken)
    {
        DeviceId queue = DevicePrincipal.Sender(user);
        DateTimeOffset now = time.GetUtcNow();
        var (invite, problem) = await LiveInviteAsync(token, channels, now, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }
        if (invite!.Approval)
        {
            return Problem.Forbidden(ProblemCodes.InviteNeedsApproval, "This invite needs an admin's approval; send a join request instead.");
        }
        if (DeliveryEndpoints.CheckSendRequest(request, options.Value) is { } badRequest)
        {
            return badRequest;
        }
        var (submission, classified) = DeliveryEndpoints.Classify(invite.Group, queue, request,
            Mailboxes.MailboxExpiry.ExpiryOf(now, options.Value.MessageRetention));
        if (classified is not null)
        {
            return classified;
        }
        if (submission!.PublicMessage?.Content.Sender.Type != Parley.Mls.Messages.SenderType.NewMemberCommit || submission.Welcome is not null)
        {
            return Problem.Unprocessable(ProblemCodes.InvalidCommit, "Joining through an invite takes one external commit, without a Welcome.");
        }
        return await DeliveryEndpoints.SubmitAsync(submission with { ByInvite = true }, groups, connections, metrics, InviteNotFound(),
            cancellationToken);
    }

    // The invite a token names while it still works: unknown, malformed and revoked tokens look alike.
    private static async Task<(ChannelInvite? Invite, ProblemHttpResult? Problem)> LiveInviteAsync(string token, IChannelStore channels,
        DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (!InviteToken.TryHash(token, out byte[] tokenHash) || await channels.FindInviteAsync(tokenHash, cancellationToken) is not { } invite)
        {
            return (null, InviteNotFound());
        }
        return invite.ExpiresAt <= now ? (null, InviteExpired()) : (invite, null);
    }

    // A device key in a subscriber's leaf would let any member look the subscriber up in the directory.
    private static async Task<bool> IsDeviceKeyAsync(byte[] signatureKey, IDeviceStore devices, CancellationToken cancellationToken)
        => await devices.FindAsync(DeviceId.FromSignatureKey(signatureKey), cancellationToken) is not null;

    private static async Task<Results<Ok<JoinRequestListResponse>, ProblemHttpResult>> ListRequests(
        string groupId, ClaimsPrincipal user, IChannelStore channels, TimeProvider time, CancellationToken cancellationToken)
    {
        var (group, problem) = await AccessAsync(groupId, user, channels, adminOnly: true, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }
        IReadOnlyList<JoinRequest> requests = await channels.ListPendingRequestsAsync(group, time.GetUtcNow(), MaxPendingRequests,
            cancellationToken);
        return TypedResults.Ok(new JoinRequestListResponse(requests
            .Select(r => new PendingJoinRequestEntry(r.RequestId, r.KeyPackage, r.Approval, r.ExpiresAt)).ToList()));
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> DenyRequest(
        string groupId, string requestId, ClaimsPrincipal user, IChannelStore channels, CancellationToken cancellationToken)
    {
        var (group, problem) = await AccessAsync(groupId, user, channels, adminOnly: true, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }
        if (!InviteToken.IsId(requestId) || !await channels.DenyRequestAsync(group, requestId, cancellationToken))
        {
            return Problem.NotFound(ProblemCodes.JoinRequestNotFound, "The channel has no pending join request with this id.");
        }
        return TypedResults.NoContent();
    }

    private static async Task<Results<Ok<JoinRequestResponse>, ProblemHttpResult>> GetRequest(
        string requestId, ClaimsPrincipal user, IChannelStore channels, TimeProvider time, CancellationToken cancellationToken)
    {
        DeviceId queue = DevicePrincipal.Sender(user);
        JoinRequest? request = InviteToken.IsId(requestId) ? await channels.FindRequestAsync(requestId, time.GetUtcNow(), cancellationToken) : null;
        // Another queue's request looks exactly like a missing one; so does an answered one (the queue holds the answer).
        if (request is null || request.Queue != queue)
        {
            return Problem.NotFound(ProblemCodes.JoinRequestNotFound,
                "You have no pending join request with this id: it was answered (a Welcome waits in your queue if you were added) or it expired.");
        }
        return TypedResults.Ok(ToResponse(request));
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> MoveToQueue(
        string groupId, MoveToQueueRequest request, ClaimsPrincipal user, IChannelStore channels, CancellationToken cancellationToken)
    {
        if (request.QueueToken is not { Length: SubscriberQueue.TokenLength } token)
        {
            return Problem.BadRequest(ProblemCodes.InvalidQueueToken, $"A queue token is {SubscriberQueue.TokenLength} random bytes.");
        }
        var (group, problem) = await AccessAsync(groupId, user, channels, adminOnly: false, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }
        // An admin acts as its account's device; only a subscriber's leaf goes anonymous.
        if ((await channels.AdminsAsync(group, cancellationToken))!.Contains(DevicePrincipal.Of(user).Account))
        {
            return Problem.Conflict(ProblemCodes.AdminKeepsDevice, "An admin's device stays itself in its channel; only subscribers move to a queue.");
        }
        return await channels.MoveToQueueAsync(group, DevicePrincipal.Sender(user), SubscriberQueue.IdOf(token), cancellationToken)
            ? TypedResults.NoContent()
            : ChannelNotFound();
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> AddView(
        string groupId, string messageId, ViewRequest request, ClaimsPrincipal user, IChannelStore channels,
        CancellationToken cancellationToken)
    {
        if (!MessageIdRules.IsValid(messageId))
        {
            return Problem.BadRequest(ProblemCodes.InvalidMessageId, "A post's message id has 1 to 64 characters: letters, digits, '_' or '-'.");
        }
        if (request.Token is not { Length: ViewTokenSize })
        {
            return Problem.BadRequest(ProblemCodes.InvalidViewToken,
                $"A view token is {ViewTokenSize} bytes: HMAC-SHA256 of the message id under the device's view key for this channel.");
        }
        var (group, problem) = await AccessAsync(groupId, user, channels, adminOnly: false, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }
        // Only the hash is kept: the same device's token for another post is unrelated, and nothing names the viewer.
        await channels.AddViewAsync(group, messageId, SHA256.HashData(request.Token), cancellationToken);
        return TypedResults.NoContent();
    }

    private static async Task<Results<Ok<ViewCountResponse>, ProblemHttpResult>> GetViews(
        string groupId, string messageId, ClaimsPrincipal user, IChannelStore channels, CancellationToken cancellationToken)
    {
        if (!MessageIdRules.IsValid(messageId))
        {
            return Problem.BadRequest(ProblemCodes.InvalidMessageId, "A post's message id has 1 to 64 characters: letters, digits, '_' or '-'.");
        }
        var (group, problem) = await AccessAsync(groupId, user, channels, adminOnly: false, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }
        return TypedResults.Ok(new ViewCountResponse(await channels.CountViewsAsync(group, messageId, cancellationToken)));
    }

    /// <summary>The channel's group, if the caller's device is in it (and, for <paramref name="adminOnly"/>, its account is
    /// an admin). A channel the caller is not in looks exactly like a missing one. Cheap enough for every subscriber's views.</summary>
    private static async Task<(GroupId Group, ProblemHttpResult? Problem)> AccessAsync(string groupId, ClaimsPrincipal user,
        IChannelStore channels, bool adminOnly, CancellationToken cancellationToken)
    {
        DeviceId member = DevicePrincipal.Sender(user);
        if (!GroupId.TryParse(groupId, out GroupId id))
        {
            return (default, Problem.BadRequest(ProblemCodes.InvalidGroupId, "A group id is 1 to 64 bytes in unpadded base64url."));
        }
        if (!await channels.IsMemberAsync(id, member, cancellationToken) || await channels.AdminsAsync(id, cancellationToken) is not { } admins)
        {
            return (default, ChannelNotFound());
        }
        // A subscriber queue has no account, so it is never an admin.
        if (adminOnly && (DevicePrincipal.IsQueue(user) || !admins.Contains(DevicePrincipal.Of(user).Account)))
        {
            return (default, Problem.Forbidden(ProblemCodes.NotChannelAdmin, "Only the channel's admins may do that."));
        }
        return (id, null);
    }

    private static ProblemHttpResult ChannelNotFound()
        => Problem.NotFound(ProblemCodes.ChannelNotFound, "You are not in a channel with this id.");

    private static ProblemHttpResult InviteNotFound()
        => Problem.NotFound(ProblemCodes.InviteNotFound, "This invite link does not exist or was revoked; ask an admin for a new one.");

    private static ProblemHttpResult InviteExpired()
        => Problem.Create(StatusCodes.Status410Gone, ProblemCodes.InviteExpired, "This invite link has expired; ask an admin for a new one.");

    private static ChannelResponse ToResponse(ChannelInfo info) => new(info.Group.Value, info.Admins, info.Subscribers);

    private static JoinRequestResponse ToResponse(JoinRequest request) => new(request.RequestId, "pending", request.Group.Value);
}
