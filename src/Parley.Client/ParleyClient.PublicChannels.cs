// Public channels (docs/channels.md, "Public channels"): the facade over Channels/PublicChannelService.cs, and
// reading a public channel without an account.
using System.Security.Cryptography;
using Parley.Client.Channels;
using Parley.Client.Network;
using Parley.Content;

namespace Parley.Client;

public sealed partial class ParleyClient
{
    /// <summary>Creates a public channel on this account's server, owned by this account. Everything posted to it is
    /// public and unencrypted.</summary>
    public Task<PublicChannelInfo> CreatePublicChannelAsync(string name, string? title = null, string? description = null,
        CancellationToken cancellationToken = default)
        => _publicChannels.CreatePublicChannelAsync(name, title, description, cancellationToken);

    /// <summary>Publishes a new post to a public channel this account is an admin of; returns the signed post.</summary>
    public Task<PublicPost> PublishAsync(string channel, string text, CancellationToken cancellationToken = default)
        => _publicChannels.PublishAsync(channel, text, cancellationToken);

    /// <summary>Replaces the text of a public post (a new signed version under the same id).</summary>
    public Task<PublicPost> EditPublicPostAsync(string channel, string postId, string text, CancellationToken cancellationToken = default)
        => _publicChannels.EditPublicPostAsync(channel, postId, text, cancellationToken);

    /// <summary>Deletes a public post (a signed deletion under its id).</summary>
    public Task<PublicPost> DeletePublicPostAsync(string channel, string postId, CancellationToken cancellationToken = default)
        => _publicChannels.DeletePublicPostAsync(channel, postId, cancellationToken);

    /// <summary>Reads and verifies a public channel on <paramref name="server"/> (this device's server when null): checks
    /// the owner's identity key against the one pinned here (pinned on first read), verifies every post's signature
    /// chain, and counts a view for each post this device shows for the first time.</summary>
    public Task<PublicChannelReading> ReadPublicChannelAsync(string name, Uri? server = null, int limit = 50, bool countViews = true,
        CancellationToken cancellationToken = default)
        => _publicChannels.ReadPublicChannelAsync(name, server, limit, countViews, cancellationToken);

    /// <summary>Reads and verifies a public channel without an account or a store: nothing is pinned, and every read
    /// counts one view per post.</summary>
    public static async Task<PublicChannelReading> ReadPublicChannelAnonymouslyAsync(Uri server, string name, int limit = 50, bool countViews = true,
        HttpMessageHandler? handler = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(server);
        name = CheckPublicChannelName(name);
        using var connection = new ParleyServerClient(server, null, handler);
        var info = await PublicChannelReader.GetInfoAsync(connection, name, cancellationToken).ConfigureAwait(false);
        var posts = await PublicChannelReader.ReadPostsAsync(connection, info, 0, limit, cancellationToken).ConfigureAwait(false);
        if (countViews)
        {
            foreach (var post in posts.Where(p => p.Verified && !p.Deleted))
            {
                try
                {
                    await connection.CountPublicViewAsync(info.Name, post.PostId, cancellationToken).ConfigureAwait(false);
                }
                catch (ServerProblemException)
                {
                    // A view that is not counted changes nothing for the reader.
                }
            }
        }
        return new PublicChannelReading(info, posts, OwnerKeyStatus.NotPinned);
    }

    /// <summary>The public channel's description on <paramref name="server"/> (this device's server when null), with the
    /// owner's key checked against the pin.</summary>
    public Task<(PublicChannelInfo Channel, OwnerKeyStatus OwnerKey)> GetPublicChannelAsync(string name, Uri? server = null,
        CancellationToken cancellationToken = default)
        => _publicChannels.GetPublicChannelAsync(name, server, cancellationToken);

    /// <summary>Subscribes to (or unsubscribes from) a public channel on this device's server. The subscription is kept in
    /// this device's store only: the server keeps no record of who subscribes (docs/privacy.md).</summary>
    public Task<PublicChannelInfo> SubscribePublicAsync(string name, bool subscribe = true, CancellationToken cancellationToken = default)
        => _publicChannels.SubscribePublicAsync(name, subscribe, cancellationToken);

    /// <summary>Adds or removes an admin of a public channel on this device's server (the owner only).</summary>
    public Task<PublicChannelInfo> SetPublicAdminAsync(string name, string username, bool admin, CancellationToken cancellationToken = default)
        => _publicChannels.SetPublicAdminAsync(name, username, admin, cancellationToken);

    /// <summary>The public channels this device has created, read or subscribed to.</summary>
    public IReadOnlyList<PublicChannelRecord> KnownPublicChannels() => _publicChannels.KnownPublicChannels();

    /// <summary>Re-pins a public channel's owner key after it changed (once the person checked the new owner out of band).</summary>
    public Task<PublicChannelInfo> AcceptPublicChannelOwnerAsync(string name, Uri? server = null, CancellationToken cancellationToken = default)
        => _publicChannels.AcceptPublicChannelOwnerAsync(name, server, cancellationToken);

    /// <summary>Checks a public channel name: the same syntax as user names (<see cref="UsernameProfile"/>), lower-cased.</summary>
    public static string CheckPublicChannelName(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (!UsernameProfile.TryCanonicalize(name.Trim(), out string? lower))
        {
            throw new ParleyClientException(ClientError.PublicChannelNameInvalid, name, $"'{name}' is not a valid public channel name: use {UsernameProfile.Rule}.");
        }
        return lower;
    }

    /// <summary>The fingerprint of an identity key as people compare it: 8 groups of 4 hex digits of its SHA-256.</summary>
    public static string KeyFingerprint(ReadOnlySpan<byte> identityKey)
    {
        string hex = Convert.ToHexStringLower(SHA256.HashData(identityKey).AsSpan(0, 16));
        return string.Join(' ', Enumerable.Range(0, 8).Select(i => hex.Substring(i * 4, 4)));
    }
}
