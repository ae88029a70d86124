// Parley server protocol v1, channels (docs/channels.md): the device's side of the private channel endpoints
// (registration, invites, join requests, counts, views) and of the public channel endpoints, which readers
// may call anonymously.
using System.Net.Http.Json;

namespace Parley.Client.Network;

public sealed partial class ParleyServerClient
{
    // ---- Private channels ----------------------------------------------------------------------

    /// <summary>POST /v1/channels: records the group as a private channel with the caller's account as its admin.</summary>
    public Task RegisterChannelAsync(byte[] groupId, CancellationToken cancellationToken = default)
        => SendAsync(HttpMethod.Post, "v1/channels", JsonContent.Create(new CreateChannelRequest(GroupIds.ToUrl(groupId)),
            ChannelJsonContext.Default.CreateChannelRequest), cancellationToken);

    /// <summary>GET /v1/channels/{groupId}: the admins and the subscriber count (members only).</summary>
    public Task<ChannelSummaryResponse> GetChannelAsync(byte[] groupId, CancellationToken cancellationToken = default)
        => SendAsync(HttpMethod.Get, $"v1/channels/{GroupIds.ToUrl(groupId)}", null, ChannelJsonContext.Default.ChannelSummaryResponse, cancellationToken);

    /// <summary>POST /v1/channels/{groupId}/invites (admins).</summary>
    public Task<CreateInviteResponse> CreateInviteAsync(byte[] groupId, CreateInviteRequest request, CancellationToken cancellationToken = default)
        => SendAsync(HttpMethod.Post, $"v1/channels/{GroupIds.ToUrl(groupId)}/invites",
            JsonContent.Create(request, ChannelJsonContext.Default.CreateInviteRequest), ChannelJsonContext.Default.CreateInviteResponse, cancellationToken);

    /// <summary>GET /v1/channels/{groupId}/invites (admins).</summary>
    public async Task<IReadOnlyList<InviteEntry>> ListInvitesAsync(byte[] groupId, CancellationToken cancellationToken = default)
        => (await SendAsync(HttpMethod.Get, $"v1/channels/{GroupIds.ToUrl(groupId)}/invites", null, ChannelJsonContext.Default.InviteListResponse,
            cancellationToken)).Invites;

    /// <summary>DELETE /v1/channels/{groupId}/invites/{inviteId} (admins): the link stops working.</summary>
    public Task RevokeInviteAsync(byte[] groupId, string inviteId, CancellationToken cancellationToken = default)
        => SendAsync(HttpMethod.Delete, $"v1/channels/{GroupIds.ToUrl(groupId)}/invites/{Uri.EscapeDataString(inviteId)}", null, cancellationToken);

    /// <summary>POST /v1/invites/{token}/requests (as a subscriber queue): asks to join with a pseudonymous key package; the
    /// Welcome will arrive in the queue.</summary>
    public Task<JoinRequestResponse> RequestJoinAsync(string token, byte[] keyPackage, CancellationToken cancellationToken = default)
        => SendAsync(HttpMethod.Post, $"v1/invites/{Uri.EscapeDataString(token)}/requests",
            JsonContent.Create(new JoinRequest(keyPackage), ChannelJsonContext.Default.JoinRequest), ChannelJsonContext.Default.JoinRequestResponse,
            cancellationToken);

    /// <summary>GET /v1/invites/{token}/group-info (anonymous): the channel's GroupInfo with its ratchet tree, for joining by
    /// external commit through an invite without approval.</summary>
    public async Task<byte[]> GetInviteGroupInfoAsync(string token, CancellationToken cancellationToken = default)
        => (await SendAsync(HttpMethod.Get, $"v1/invites/{Uri.EscapeDataString(token)}/group-info", null,
            ChannelJsonContext.Default.ChannelGroupInfoResponse, cancellationToken)).GroupInfo;

    /// <summary>POST /v1/invites/{token}/join (as a subscriber queue): joins the channel at once with an external commit and the
    /// GroupInfo of the epoch it starts.</summary>
    public Task<SendResponse> JoinByExternalCommitAsync(string token, SendRequest request, CancellationToken cancellationToken = default)
        => SendAsync(HttpMethod.Post, $"v1/invites/{Uri.EscapeDataString(token)}/join",
            JsonContent.Create(request, ClientJsonContext.Default.SendRequest), ClientJsonContext.Default.SendResponse, cancellationToken);

    /// <summary>GET /v1/join-requests/{requestId} (as the request's queue): the request while it is pending; not found once it
    /// was answered (the queue then holds the Welcome, if it was added) or expired.</summary>
    public Task<JoinRequestResponse> GetJoinRequestAsync(string requestId, CancellationToken cancellationToken = default)
        => SendAsync(HttpMethod.Get, $"v1/join-requests/{Uri.EscapeDataString(requestId)}", null, ChannelJsonContext.Default.JoinRequestResponse,
            cancellationToken);

    /// <summary>GET /v1/channels/{groupId}/requests (admins): the pending join requests.</summary>
    public async Task<IReadOnlyList<PendingJoinEntry>> ListJoinRequestsAsync(byte[] groupId, CancellationToken cancellationToken = default)
        => (await SendAsync(HttpMethod.Get, $"v1/channels/{GroupIds.ToUrl(groupId)}/requests", null, ChannelJsonContext.Default.PendingJoinListResponse,
            cancellationToken)).Requests;

    /// <summary>DELETE /v1/channels/{groupId}/requests/{requestId} (admins): denies a join request.</summary>
    public Task DenyJoinRequestAsync(byte[] groupId, string requestId, CancellationToken cancellationToken = default)
        => SendAsync(HttpMethod.Delete, $"v1/channels/{GroupIds.ToUrl(groupId)}/requests/{Uri.EscapeDataString(requestId)}", null, cancellationToken);

    /// <summary>POST /v1/channels/{groupId}/queue: hands this device's subscriber leaf to the queue <paramref name="queueToken"/>
    /// opens (a subscriber who joined before queues existed).</summary>
    public Task MoveToQueueAsync(byte[] groupId, byte[] queueToken, CancellationToken cancellationToken = default)
        => SendAsync(HttpMethod.Post, $"v1/channels/{GroupIds.ToUrl(groupId)}/queue",
            JsonContent.Create(new MoveToQueueRequest(queueToken), ChannelJsonContext.Default.MoveToQueueRequest), cancellationToken);

    /// <summary>POST /v1/channels/{groupId}/posts/{messageId}/views: one view token (the server keeps only its hash).</summary>
    public Task SendViewAsync(byte[] groupId, string messageId, byte[] token, CancellationToken cancellationToken = default)
        => SendAsync(HttpMethod.Post, $"v1/channels/{GroupIds.ToUrl(groupId)}/posts/{Uri.EscapeDataString(messageId)}/views",
            JsonContent.Create(new ViewRequest(token), ChannelJsonContext.Default.ViewRequest), cancellationToken);

    /// <summary>GET /v1/channels/{groupId}/posts/{messageId}/views: how many distinct members viewed the post.</summary>
    public async Task<long> GetViewsAsync(byte[] groupId, string messageId, CancellationToken cancellationToken = default)
        => (await SendAsync(HttpMethod.Get, $"v1/channels/{GroupIds.ToUrl(groupId)}/posts/{Uri.EscapeDataString(messageId)}/views", null,
            ChannelJsonContext.Default.ViewCountResponse, cancellationToken)).Views;

    // ---- Public channels -----------------------------------------------------------------------

    /// <summary>POST /v1/public-channels: creates a public channel owned by the caller's account.</summary>
    public Task CreatePublicChannelAsync(CreatePublicChannelRequest request, CancellationToken cancellationToken = default)
        => SendAsync(HttpMethod.Post, "v1/public-channels", JsonContent.Create(request, ChannelJsonContext.Default.CreatePublicChannelRequest),
            cancellationToken);

    /// <summary>GET /v1/public-channels/{name} (anonymous): title and admins with their identity keys.</summary>
    public Task<PublicChannelResponse> GetPublicChannelAsync(string name, CancellationToken cancellationToken = default)
        => SendAsync(HttpMethod.Get, $"v1/public-channels/{Uri.EscapeDataString(name)}", null, ChannelJsonContext.Default.PublicChannelResponse,
            cancellationToken);

    /// <summary>POST /v1/public-channels/{name}/posts (admins): publishes a signed post, edit or deletion.</summary>
    public Task PublishPostAsync(string name, byte[] post, CancellationToken cancellationToken = default)
        => SendAsync(HttpMethod.Post, $"v1/public-channels/{Uri.EscapeDataString(name)}/posts",
            JsonContent.Create(new PublishPostRequest(post), ChannelJsonContext.Default.PublishPostRequest), cancellationToken);

    /// <summary>GET /v1/public-channels/{name}/posts (anonymous): up to <paramref name="limit"/> posts after sequence
    /// <paramref name="after"/>, oldest first.</summary>
    public async Task<IReadOnlyList<PublicPostEntry>> GetPublicPostsAsync(string name, long after = 0, int limit = 100,
        CancellationToken cancellationToken = default)
        => (await SendAsync(HttpMethod.Get, $"v1/public-channels/{Uri.EscapeDataString(name)}/posts?after={after}&limit={limit}", null,
            ChannelJsonContext.Default.PublicPostListResponse, cancellationToken)).Posts;

    /// <summary>POST /v1/public-channels/{name}/admins (owner).</summary>
    public Task AddPublicAdminAsync(string name, string username, CancellationToken cancellationToken = default)
        => SendAsync(HttpMethod.Post, $"v1/public-channels/{Uri.EscapeDataString(name)}/admins",
            JsonContent.Create(new AddPublicAdminRequest(username), ChannelJsonContext.Default.AddPublicAdminRequest), cancellationToken);

    /// <summary>DELETE /v1/public-channels/{name}/admins/{username} (owner).</summary>
    public Task RemovePublicAdminAsync(string name, string username, CancellationToken cancellationToken = default)
        => SendAsync(HttpMethod.Delete, $"v1/public-channels/{Uri.EscapeDataString(name)}/admins/{Uri.EscapeDataString(username)}", null,
            cancellationToken);

    /// <summary>POST /v1/public-channels/{name}/posts/{postId}/views (anonymous): counts one view.</summary>
    public Task CountPublicViewAsync(string name, string postId, CancellationToken cancellationToken = default)
        => SendAsync(HttpMethod.Post, $"v1/public-channels/{Uri.EscapeDataString(name)}/posts/{Uri.EscapeDataString(postId)}/views", null,
            cancellationToken);
}
