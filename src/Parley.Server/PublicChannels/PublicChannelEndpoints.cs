// docs/channels.md, "Public channels", and docs/server-protocol.md, "Channels".
using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using Parley.Content;
using Parley.Server.Accounts;
using Parley.Server.Devices;
using Parley.Server.Http;
using Parley.Server.Moderation;

namespace Parley.Server.PublicChannels;

/// <summary>Public channels: created and written by authenticated devices, read by anyone without an account (the
/// per-address rate limit applies to anonymous readers), moderated by the operator. Every post is verified before it
/// is stored: signed by a device key of its author, whose account certifies that key and is one of the channel's admins.</summary>
public static class PublicChannelEndpoints
{
    /// <summary>Longest encoded signed post, in bytes.</summary>
    public const int MaxPostBytes = 64 * 1024;

    /// <summary>Longest title, in characters.</summary>
    public const int MaxTitleLength = 100;

    /// <summary>Longest description, in characters.</summary>
    public const int MaxDescriptionLength = 1000;

    /// <summary>Largest page of posts.</summary>
    public const int MaxPage = 500;

    public static IEndpointRouteBuilder MapPublicChannelEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapPost("/v1/public-channels", Create).RequireAuthorization()
            .WithSummary("Creates a public channel owned by the caller's account.");
        app.MapGet("/v1/public-channels/{name}", Get).AllowAnonymous()
            .WithSummary("Returns a public channel's title and admins (with identity keys); no account needed.");
        app.MapPost("/v1/public-channels/{name}/posts", Publish).RequireAuthorization()
            .WithSummary("Stores a signed post, edit or deletion by an admin.");
        app.MapGet("/v1/public-channels/{name}/posts", ReadPosts).AllowAnonymous()
            .WithSummary("Returns signed posts in order; no account needed.");
        app.MapPost("/v1/public-channels/{name}/posts/{postId}/views", CountView).AllowAnonymous()
            .WithSummary("Counts a view of a post; no account needed.");
        app.MapPost("/v1/public-channels/{name}/admins", AddAdmin).RequireAuthorization()
            .WithSummary("Makes an account an admin (owner only).");
        app.MapDelete("/v1/public-channels/{name}/admins/{username}", RemoveAdmin).RequireAuthorization()
            .WithSummary("Removes an admin (owner only).");

        RouteGroupBuilder admin = app.MapGroup("/v1/admin/public-channels").RequireAuthorization(OperatorAuthentication.PolicyName);
        admin.MapPost("/{name}/takedown", TakeDown).WithSummary("Takes a public channel down (operator).");
        admin.MapPost("/{name}/restore", Restore).WithSummary("Restores a taken-down public channel (operator).");
        admin.MapPost("/{name}/posts/{postId}/takedown", TakeDownPost).WithSummary("Takes one post of a public channel down (operator).");
        return app;
    }

    private static async Task<Results<Created<PublicChannelResponse>, ProblemHttpResult>> Create(
        CreatePublicChannelRequest request, ClaimsPrincipal user, IPublicChannelStore channels, TimeProvider time,
        CancellationToken cancellationToken)
    {
        var (_, account) = DevicePrincipal.Of(user);
        if (!Username.TryParse(request.Name, out Username name))
        {
            return Problem.BadRequest(ProblemCodes.InvalidChannelName, "A public channel name has 3 to 32 characters: a-z, 0-9, '_', '.' or '-'.");
        }
        string title = request.Title ?? "", description = request.Description ?? "";
        if (title.Length > MaxTitleLength || description.Length > MaxDescriptionLength)
        {
            return Problem.BadRequest(ProblemCodes.MalformedRequest,
                $"A title has at most {MaxTitleLength} characters and a description at most {MaxDescriptionLength}.");
        }
        if (await channels.CreateAsync(name.Value, title, description, account, time.GetUtcNow(), cancellationToken)
            == CreatePublicChannelOutcome.NameTaken)
        {
            return Problem.Conflict(ProblemCodes.PublicChannelExists, $"A public channel called '{name.Value}' exists; choose another name.");
        }
        PublicChannel channel = (await channels.FindAsync(name.Value, cancellationToken))!;
        return TypedResults.Created($"/v1/public-channels/{name.Value}", ToResponse(channel));
    }

    private static async Task<Results<Ok<PublicChannelResponse>, ProblemHttpResult>> Get(
        string name, IPublicChannelStore channels, CancellationToken cancellationToken)
    {
        var (channel, problem) = await FindServedAsync(name, channels, cancellationToken);
        return problem is not null ? problem : TypedResults.Ok(ToResponse(channel!));
    }

    private static async Task<Results<Created<PublishResponse>, Ok<PublishResponse>, ProblemHttpResult>> Publish(
        string name, PublishRequest request, ClaimsPrincipal user, IPublicChannelStore channels, IDeviceStore devices,
        CancellationToken cancellationToken)
    {
        var (_, callerAccount) = DevicePrincipal.Of(user);
        var (channel, problem) = await FindServedAsync(name, channels, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }
        if (request.Post is null || request.Post.Length == 0)
        {
            return Problem.BadRequest(ProblemCodes.MalformedPublicPost, "The signed post is required.");
        }
        if (request.Post.Length > MaxPostBytes)
        {
            return Problem.Create(StatusCodes.Status413PayloadTooLarge, ProblemCodes.PostTooLarge, $"A signed post has at most {MaxPostBytes} bytes.");
        }
        if (!PublicPost.TryDecode(request.Post, out PublicPost? post))
        {
            return Problem.BadRequest(ProblemCodes.MalformedPublicPost, "The post does not decode as a version 1 PublicPost (docs/channels.md).");
        }
        if (post!.Channel != channel!.Name)
        {
            return Problem.BadRequest(ProblemCodes.MalformedPublicPost, "The post is signed for another channel than the URL names.");
        }
        if (!Username.TryParse(post.Author, out Username author) || author.Value != post.Author)
        {
            return Problem.BadRequest(ProblemCodes.MalformedPublicPost, "The post's author must be a lower-case username.");
        }
        PublicChannelAdmin? admin = channel.Admins.FirstOrDefault(a => a.Username == author.Value);
        if (admin is null)
        {
            return Problem.Forbidden(ProblemCodes.NotChannelAdmin, $"'{author.Value}' is not an admin of this channel; only admins post.");
        }
        if (admin.Account != callerAccount)
        {
            return Problem.Forbidden(ProblemCodes.NotPostAuthor, "A post is sent by a device of its author's account.");
        }
        // The signing key must be an active device of the author, certified by the author's identity key (the chain readers check).
        Device? signer = await devices.FindAsync(DeviceId.FromSignatureKey(post.DeviceSignatureKey), cancellationToken);
        if (signer is null || signer.Revoked || signer.AccountId != admin.Account || signer.CipherSuite != PublicPost.CipherSuite
            || !signer.SignatureKey.AsSpan().SequenceEqual(post.DeviceSignatureKey))
        {
            return Problem.Unprocessable(ProblemCodes.InvalidPostSignature,
                "The post must be signed with the MLS signature key (suite 1) of one of the author's active devices.");
        }
        if (!post.VerifyCertificate(admin.IdentityKey))
        {
            return Problem.Unprocessable(ProblemCodes.InvalidPostSignature,
                "The post's device certificate is not the author's identity key's signature over that device key.");
        }
        if (!post.VerifySignature())
        {
            return Problem.Unprocessable(ProblemCodes.InvalidPostSignature, "The post's signature does not verify with its device key.");
        }
        var (outcome, sequence) = await channels.AppendAsync(channel.Name, post.PostId, post.Operation, request.Post, cancellationToken);
        var response = new PublishResponse(sequence, post.PostId, outcome == AppendPostOutcome.Repeated);
        return outcome switch
        {
            AppendPostOutcome.Appended when post.Operation == PublicPostOperation.Post
                => TypedResults.Created($"/v1/public-channels/{channel.Name}/posts?after={sequence - 1}&limit=1", response),
            AppendPostOutcome.Appended or AppendPostOutcome.Repeated => TypedResults.Ok(response),
            AppendPostOutcome.PostExists => Problem.Conflict(ProblemCodes.PostExists, "Another post has this id; a new post needs a fresh id."),
            AppendPostOutcome.PostDeleted => Problem.Conflict(ProblemCodes.PostDeleted, "The post was deleted; it cannot be edited."),
            AppendPostOutcome.NotPostAuthor => Problem.Forbidden(ProblemCodes.NotPostAuthor,
                "Only the author of a post edits or deletes it; the server's operator can take a post down."),
            AppendPostOutcome.PostNotFound => Problem.NotFound(ProblemCodes.PostNotFound, "The channel has no post with this id to edit or delete."),
            AppendPostOutcome.TakenDown => TakenDown(),
            _ => ChannelNotFound(),
        };
    }

    private static async Task<Results<Ok<PublicPostsResponse>, ProblemHttpResult>> ReadPosts(
        string name, IPublicChannelStore channels, CancellationToken cancellationToken, long after = 0, int limit = 100)
    {
        if (after < 0 || limit is < 1 or > MaxPage)
        {
            return Problem.BadRequest(ProblemCodes.MalformedRequest, $"'after' must be at least 0 and 'limit' between 1 and {MaxPage}.");
        }
        var (channel, problem) = await FindServedAsync(name, channels, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }
        IReadOnlyList<PublicPostRecord> posts = await channels.ReadPostsAsync(channel!.Name, after, limit, cancellationToken);
        return TypedResults.Ok(new PublicPostsResponse(posts.Select(p => new PublicPostEntry(p.Sequence, p.PostId, p.Post, p.Deleted, p.Views)).ToList()));
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> CountView(
        string name, string postId, IPublicChannelStore channels, CancellationToken cancellationToken)
    {
        var (channel, problem) = await FindServedAsync(name, channels, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }
        if (!ContentEnvelope.IsValidMessageId(postId) || !await channels.CountViewAsync(channel!.Name, postId, cancellationToken))
        {
            return Problem.NotFound(ProblemCodes.PostNotFound, "The channel has no post with this id.");
        }
        return TypedResults.NoContent();
    }

    private static async Task<Results<Ok<PublicChannelResponse>, ProblemHttpResult>> AddAdmin(
        string name, AddPublicChannelAdminRequest request, ClaimsPrincipal user, IPublicChannelStore channels, IAccountStore accounts,
        CancellationToken cancellationToken)
    {
        var (channel, problem) = await FindOwnedAsync(name, user, channels, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }
        if (!Username.TryParse(request.Username, out Username username) || await accounts.FindByUsernameAsync(username, cancellationToken) is not { } account)
        {
            return Problem.NotFound(ProblemCodes.AccountNotFound, "There is no account with this username.");
        }
        await channels.AddAdminAsync(channel!.Name, account.Id, cancellationToken);
        return TypedResults.Ok(ToResponse((await channels.FindAsync(channel.Name, cancellationToken))!));
    }

    private static async Task<Results<Ok<PublicChannelResponse>, ProblemHttpResult>> RemoveAdmin(
        string name, string username, ClaimsPrincipal user, IPublicChannelStore channels, CancellationToken cancellationToken)
    {
        var (channel, problem) = await FindOwnedAsync(name, user, channels, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }
        PublicChannelAdmin? admin = Username.TryParse(username, out Username parsed)
            ? channel!.Admins.FirstOrDefault(a => a.Username == parsed.Value)
            : null;
        if (admin is null)
        {
            return Problem.NotFound(ProblemCodes.AccountNotFound, "This account is not an admin of the channel.");
        }
        if (admin.Account == channel!.Owner)
        {
            return Problem.Conflict(ProblemCodes.OwnerCannotBeRemoved, "The channel's owner is always one of its admins.");
        }
        await channels.RemoveAdminAsync(channel.Name, admin.Account, cancellationToken);
        return TypedResults.Ok(ToResponse((await channels.FindAsync(channel.Name, cancellationToken))!));
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> TakeDown(
        string name, TakedownRequest request, IPublicChannelStore channels, IAuditLog audit, CancellationToken cancellationToken)
        => await SetTakenDownAsync(name, request, takenDown: true, channels, audit, cancellationToken);

    private static async Task<Results<NoContent, ProblemHttpResult>> Restore(
        string name, TakedownRequest request, IPublicChannelStore channels, IAuditLog audit, CancellationToken cancellationToken)
        => await SetTakenDownAsync(name, request, takenDown: false, channels, audit, cancellationToken);

    private static async Task<Results<NoContent, ProblemHttpResult>> SetTakenDownAsync(string name, TakedownRequest request, bool takenDown,
        IPublicChannelStore channels, IAuditLog audit, CancellationToken cancellationToken)
    {
        string reason = request.Reason ?? "";
        if (reason.Length > ModerationEndpoints.MaxReasonLength)
        {
            return Problem.BadRequest(ProblemCodes.MalformedRequest, $"A reason has at most {ModerationEndpoints.MaxReasonLength} characters.");
        }
        if (!Username.TryParse(name, out Username channelName) || await channels.FindAsync(channelName.Value, cancellationToken) is null)
        {
            return ChannelNotFound();
        }
        // Only a change is audited, so a retried request leaves one entry.
        if (await channels.SetTakenDownAsync(channelName.Value, takenDown, cancellationToken))
        {
            await audit.AppendAsync(takenDown ? "public_channel.takedown" : "public_channel.restore", channelName.Value, reason, cancellationToken);
        }
        return TypedResults.NoContent();
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> TakeDownPost(
        string name, string postId, TakedownRequest request, IPublicChannelStore channels, IAuditLog audit, CancellationToken cancellationToken)
    {
        string reason = request.Reason ?? "";
        if (reason.Length > ModerationEndpoints.MaxReasonLength)
        {
            return Problem.BadRequest(ProblemCodes.MalformedRequest, $"A reason has at most {ModerationEndpoints.MaxReasonLength} characters.");
        }
        if (!Username.TryParse(name, out Username channelName) || await channels.FindAsync(channelName.Value, cancellationToken) is null)
        {
            return ChannelNotFound();
        }
        if (!ContentEnvelope.IsValidMessageId(postId))
        {
            return Problem.NotFound(ProblemCodes.PostNotFound, "The channel has no post with this id.");
        }
        switch (await channels.TakeDownPostAsync(channelName.Value, postId, cancellationToken))
        {
            case PostTakedownOutcome.PostNotFound:
                return Problem.NotFound(ProblemCodes.PostNotFound, "The channel has no post with this id.");
            case PostTakedownOutcome.TakenDown:
                // Only a change is audited, so a retried request leaves one entry.
                await audit.AppendAsync("public_post.takedown", $"{channelName.Value}/{postId}", reason, cancellationToken);
                break;
        }
        return TypedResults.NoContent();
    }

    /// <summary>The channel if it exists and is served: unknown names are 404, taken-down channels 410.</summary>
    private static async Task<(PublicChannel? Channel, ProblemHttpResult? Problem)> FindServedAsync(string name, IPublicChannelStore channels,
        CancellationToken cancellationToken)
    {
        if (!Username.TryParse(name, out Username parsed) || await channels.FindAsync(parsed.Value, cancellationToken) is not { } channel)
        {
            return (null, ChannelNotFound());
        }
        return channel.TakenDown ? (null, TakenDown()) : (channel, null);
    }

    private static async Task<(PublicChannel? Channel, ProblemHttpResult? Problem)> FindOwnedAsync(string name, ClaimsPrincipal user,
        IPublicChannelStore channels, CancellationToken cancellationToken)
    {
        var (_, account) = DevicePrincipal.Of(user);
        var (channel, problem) = await FindServedAsync(name, channels, cancellationToken);
        if (problem is not null)
        {
            return (null, problem);
        }
        return channel!.Owner == account
            ? (channel, null)
            : (null, Problem.Forbidden(ProblemCodes.NotChannelOwner, "Only the channel's owner adds and removes admins."));
    }

    private static ProblemHttpResult ChannelNotFound()
        => Problem.NotFound(ProblemCodes.PublicChannelNotFound, "There is no public channel with this name.");

    private static ProblemHttpResult TakenDown()
        => Problem.Create(StatusCodes.Status410Gone, ProblemCodes.ChannelTakenDown, "The operator of this server has taken this channel down.");

    private static PublicChannelResponse ToResponse(PublicChannel channel)
        => new(channel.Name, channel.Title, channel.Description, true,
            channel.Admins.Select(a => new PublicChannelAdminEntry(a.Username, a.IdentityKey)).ToList(), channel.CreatedAt,
            channel.Admins.First(a => a.Account == channel.Owner).Username);
}
