// Reading a public channel (docs/channels.md, "Public channels"): no account needed. Every post is checked
// post → device key (Ed25519 signature) → account identity key (device certificate) → one of the channel's
// admins as the server lists them; the owner's key is pinned by readers that have a store.
using System.Security.Cryptography;
using Parley.Client.Network;
using Parley.Content;

namespace Parley.Client.Channels;

/// <summary>Fetches a public channel and its posts and verifies every post's signature chain.</summary>
public static class PublicChannelReader
{
    /// <summary>The most posts one read fetches.</summary>
    public const int MaxPosts = 10_000;

    /// <summary>The channel's description, with a clear sentence when it does not exist or was taken down.</summary>
    public static async Task<PublicChannelInfo> GetInfoAsync(ParleyServerClient server, string name, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(server);
        PublicChannelResponse response;
        try
        {
            response = await server.GetPublicChannelAsync(name, cancellationToken).ConfigureAwait(false);
        }
        catch (ServerProblemException e) when (e.Code is "channel_not_found" or "public_channel_not_found" or "not_found")
        {
            throw new ParleyClientException(ClientError.PublicChannelNotFound, name, $"There is no public channel named {name} on {server.Server}.", e);
        }
        catch (ServerProblemException e) when (e.Code == "channel_taken_down")
        {
            throw new ParleyClientException($"The public channel {name} on {server.Server} was taken down by the server's operator.", e);
        }
        string owner = response.Owner ?? response.Admins.FirstOrDefault()?.Username
            ?? throw new ServerUnavailableException($"The server at {server.Server} lists no admin for {name}.");
        return new PublicChannelInfo(server.Server, response.Name, response.Title, response.Description, response.Admins, owner,
            response.CreatedAt);
    }

    /// <summary>Up to <paramref name="limit"/> of the channel's latest posts after <paramref name="after"/>, each verified
    /// against <paramref name="channel"/>'s admins.</summary>
    public static async Task<IReadOnlyList<VerifiedPublicPost>> ReadPostsAsync(ParleyServerClient server, PublicChannelInfo channel, long after = 0,
        int limit = 100, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(server);
        ArgumentNullException.ThrowIfNull(channel);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(limit);
        var posts = new List<VerifiedPublicPost>();
        long cursor = after;
        while (posts.Count < MaxPosts)
        {
            var page = await server.GetPublicPostsAsync(channel.Name, cursor, 100, cancellationToken).ConfigureAwait(false);
            foreach (var entry in page)
            {
                posts.Add(Verify(channel, entry));
                cursor = Math.Max(cursor, entry.Sequence);
            }
            if (page.Count < 100)
            {
                break;
            }
        }
        return posts.Count <= limit ? posts : posts.GetRange(posts.Count - limit, limit);
    }

    /// <summary>Checks one post: it decodes, it belongs to this channel under this id, its author is an admin, its
    /// signature verifies under its device key and its device certificate under the author's identity key.</summary>
    public static VerifiedPublicPost Verify(PublicChannelInfo channel, PublicPostEntry entry)
    {
        ArgumentNullException.ThrowIfNull(channel);
        ArgumentNullException.ThrowIfNull(entry);
        VerifiedPublicPost Fail(PublicPost? post, string problem) => new(entry.Sequence, entry.PostId, post, entry.Deleted, entry.Views, false, problem);
        if (entry.Post is null)
        {
            return entry.Deleted
                ? new VerifiedPublicPost(entry.Sequence, entry.PostId, null, true, entry.Views, false, "the server sent no signed deletion")
                : Fail(null, "the server sent no signed post");
        }
        if (!PublicPost.TryDecode(entry.Post, out var post) || post is null)
        {
            return Fail(null, "the post is malformed");
        }
        if (!string.Equals(post.Channel, channel.Name, StringComparison.OrdinalIgnoreCase) || post.PostId != entry.PostId)
        {
            return Fail(post, "the post was signed for another channel or post");
        }
        var admin = channel.Admins.FirstOrDefault(a => a.Username == post.Author);
        if (admin is null)
        {
            return Fail(post, $"its author {post.Author} is not an admin of the channel");
        }
        if (!post.VerifySignature())
        {
            return Fail(post, "its signature does not verify");
        }
        if (!post.VerifyCertificate(admin.IdentityKey))
        {
            return Fail(post, $"its device is not certified by {post.Author}'s identity key");
        }
        bool deleted = entry.Deleted || post.Operation == PublicPostOperation.Delete;
        return new VerifiedPublicPost(entry.Sequence, entry.PostId, post, deleted, entry.Views, true, null);
    }

    /// <summary>Compares the owner's identity key with a pinned one (constant time).</summary>
    public static bool SameOwner(PublicChannelInfo channel, PublicChannelRecord pinned)
    {
        ArgumentNullException.ThrowIfNull(channel);
        ArgumentNullException.ThrowIfNull(pinned);
        var owner = channel.Admins.FirstOrDefault(a => a.Username == pinned.Owner);
        return owner is not null && channel.Owner == pinned.Owner
               && CryptographicOperations.FixedTimeEquals(owner.IdentityKey, pinned.OwnerIdentityKey);
    }

    /// <summary>The owner's identity key as the server lists it.</summary>
    public static byte[] OwnerKey(PublicChannelInfo channel)
    {
        ArgumentNullException.ThrowIfNull(channel);
        return channel.Admins.First(a => a.Username == channel.Owner).IdentityKey;
    }
}
