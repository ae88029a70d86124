// Public channels (docs/channels.md, "Public channels"): posts signed by an admin's device and NOT encrypted,
// kept by the server (whose operator can take them down) and readable by anyone with the name, with or without
// an account. This device signs with its MLS signature key and attaches its device certificate, so every reader
// can check post → device → account identity key; it pins the owner's identity key on first read.
using Parley.Client.Network;
using Parley.Content;

namespace Parley.Client.Channels;

/// <summary>Creates, publishes to, reads and administers public channels for one device; owns no state beyond the
/// channel records (owner pins, views) in the store.</summary>
internal sealed class PublicChannelService(DeviceContext device)
{
    /// <summary>Creates a public channel on this account's server, owned by this account. Everything posted to it is
    /// public and unencrypted.</summary>
    public async Task<PublicChannelInfo> CreatePublicChannelAsync(string name, string? title = null, string? description = null,
        CancellationToken cancellationToken = default)
    {
        name = ParleyClient.CheckPublicChannelName(name);
        try
        {
            await device.Server.CreatePublicChannelAsync(new CreatePublicChannelRequest(name, title, description), cancellationToken).ConfigureAwait(false);
        }
        catch (ServerProblemException e) when (e.Code is "channel_name_taken" or "public_channel_exists" or "name_taken" or "channel_exists")
        {
            throw new ParleyClientException($"A public channel named {name} already exists on {device.Server.Server}; choose another name.", e);
        }
        var info = await PublicChannelReader.GetInfoAsync(device.Server, name, cancellationToken).ConfigureAwait(false);
        await PinOwnerAsync(info, subscribed: null, cancellationToken).ConfigureAwait(false);
        return info;
    }

    /// <summary>Publishes a new post to a public channel this account is an admin of; returns the signed post.</summary>
    public Task<PublicPost> PublishAsync(string channel, string text, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(text);
        return SignAndPublishAsync(channel, ContentEnvelope.NewMessageId(), PublicPostOperation.Post, text, cancellationToken);
    }

    /// <summary>Replaces the text of a public post (a new signed version under the same id).</summary>
    public Task<PublicPost> EditPublicPostAsync(string channel, string postId, string text, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(postId);
        ArgumentException.ThrowIfNullOrEmpty(text);
        return SignAndPublishAsync(channel, postId, PublicPostOperation.Edit, text, cancellationToken);
    }

    /// <summary>Deletes a public post (a signed deletion under its id).</summary>
    public Task<PublicPost> DeletePublicPostAsync(string channel, string postId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(postId);
        return SignAndPublishAsync(channel, postId, PublicPostOperation.Delete, "", cancellationToken);
    }

    private async Task<PublicPost> SignAndPublishAsync(string channel, string postId, PublicPostOperation operation, string text,
        CancellationToken cancellationToken)
    {
        channel = ParleyClient.CheckPublicChannelName(channel);
        if (!ContentEnvelope.IsValidMessageId(postId))
        {
            throw new ParleyClientException(ClientError.PostIdInvalid, channel, $"'{postId}' is not a post id.", detail: postId);
        }
        var identity = device.Identity;
        if (identity.CipherSuite != PublicPost.CipherSuite)
        {
            throw new ParleyClientException("This device's signature key is not Ed25519, so it cannot sign public posts.");
        }
        var post = PublicPost.Sign(channel, postId, operation, device.Now, text, device.Username, identity.DeviceCertificate!, identity.SignatureKey.PrivateKey);
        try
        {
            await device.Server.PublishPostAsync(channel, post.Encode(), cancellationToken).ConfigureAwait(false);
        }
        catch (ServerProblemException e)
        {
            throw e.Code switch
            {
                "public_channel_not_found" or "channel_not_found" => new ParleyClientException(ClientError.PublicChannelNotFound, channel,
                    $"There is no public channel named {channel} on {device.Server.Server}.", e),
                "not_channel_admin" => new ParleyClientException($"Only the admins of the public channel {channel} can post to it.", e),
                "post_not_found" => new ParleyClientException($"The public channel {channel} has no post {postId}.", e),
                "not_post_author" => new ParleyClientException(
                    $"Post {postId} in {channel} was written by another admin; only its author can edit or delete it (ask the server's operator to take it down).", e),
                "channel_taken_down" => new ParleyClientException($"The public channel {channel} was taken down by the server's operator.", e),
                _ => e,
            };
        }
        return post;
    }

    /// <summary>Reads and verifies a public channel on <paramref name="server"/> (this device's server when null): checks
    /// the owner's identity key against the one pinned here (pinned on first read), verifies every post's signature
    /// chain, and counts a view for each post this device shows for the first time.</summary>
    public async Task<PublicChannelReading> ReadPublicChannelAsync(string name, Uri? server = null, int limit = 50, bool countViews = true,
        CancellationToken cancellationToken = default)
    {
        name = ParleyClient.CheckPublicChannelName(name);
        using var other = server is not null && !InviteLink.SameServer(server, device.Server.Server) ? new ParleyServerClient(server, null, device.Options.HttpHandler) : null;
        var connection = other ?? device.Server;
        var info = await PublicChannelReader.GetInfoAsync(connection, name, cancellationToken).ConfigureAwait(false);
        var status = await PinOwnerAsync(info, subscribed: null, cancellationToken).ConfigureAwait(false);
        var posts = await PublicChannelReader.ReadPostsAsync(connection, info, 0, limit, cancellationToken).ConfigureAwait(false);
        if (countViews && device.Store.GetPublicChannel(info.Server, info.Name) is { } record)
        {
            long through = record.ViewedThrough;
            foreach (var post in posts.Where(p => p.Sequence > record.ViewedThrough && p.Verified && !p.Deleted))
            {
                if (post.Post?.Author == device.Username)
                {
                    through = Math.Max(through, post.Sequence);
                    continue;
                }
                try
                {
                    await connection.CountPublicViewAsync(info.Name, post.PostId, cancellationToken).ConfigureAwait(false);
                    through = Math.Max(through, post.Sequence);
                }
                catch (ServerProblemException)
                {
                    through = Math.Max(through, post.Sequence);
                }
            }
            if (through != record.ViewedThrough)
            {
                using var transaction = await device.Store.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
                transaction.SaveChannelRecord((device.Store.GetPublicChannel(info.Server, info.Name) ?? record) with { ViewedThrough = through });
                transaction.Commit();
            }
        }
        return new PublicChannelReading(info, posts, status);
    }

    /// <summary>The public channel's description on <paramref name="server"/> (this device's server when null), with the
    /// owner's key checked against the pin.</summary>
    public async Task<(PublicChannelInfo Channel, OwnerKeyStatus OwnerKey)> GetPublicChannelAsync(string name, Uri? server = null,
        CancellationToken cancellationToken = default)
    {
        name = ParleyClient.CheckPublicChannelName(name);
        using var other = server is not null && !InviteLink.SameServer(server, device.Server.Server) ? new ParleyServerClient(server, null, device.Options.HttpHandler) : null;
        var info = await PublicChannelReader.GetInfoAsync(other ?? device.Server, name, cancellationToken).ConfigureAwait(false);
        return (info, await PinOwnerAsync(info, subscribed: null, cancellationToken).ConfigureAwait(false));
    }

    /// <summary>Counts (or stops counting) this account as a subscriber of a public channel on this device's server.</summary>
    public async Task<PublicChannelInfo> SubscribePublicAsync(string name, bool subscribe = true, CancellationToken cancellationToken = default)
    {
        name = ParleyClient.CheckPublicChannelName(name);
        var info = await PublicChannelReader.GetInfoAsync(device.Server, name, cancellationToken).ConfigureAwait(false);
        await PinOwnerAsync(info, subscribe, cancellationToken).ConfigureAwait(false);
        return info;
    }

    /// <summary>Adds or removes an admin of a public channel on this device's server (the owner only).</summary>
    public async Task<PublicChannelInfo> SetPublicAdminAsync(string name, string username, bool admin, CancellationToken cancellationToken = default)
    {
        name = ParleyClient.CheckPublicChannelName(name);
        username = ParleyClient.CheckUsername(username);
        try
        {
            if (admin)
            {
                await device.Server.AddPublicAdminAsync(name, username, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                await device.Server.RemovePublicAdminAsync(name, username, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (ServerProblemException e) when (e.Code is "not_channel_owner" or "not_channel_admin")
        {
            throw new ParleyClientException($"Only the owner of the public channel {name} can change its admins.", e);
        }
        catch (ServerProblemException e) when (e.Code == "account_not_found")
        {
            throw new ParleyClientException($"There is no account named {username} on {device.Server.Server}.", e);
        }
        return await PublicChannelReader.GetInfoAsync(device.Server, name, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The public channels this device has created, read or subscribed to.</summary>
    public IReadOnlyList<PublicChannelRecord> KnownPublicChannels()
        => device.Store.GetChannelRecords().OfType<PublicChannelRecord>().OrderBy(c => c.Name, StringComparer.OrdinalIgnoreCase).ToList();

    // Pins the owner's identity key on first sight; reports whether it still matches. A change is never accepted here:
    // the old pin stays, so every later read warns again until the person re-pins (see AcceptPublicChannelOwner).
    private async Task<OwnerKeyStatus> PinOwnerAsync(PublicChannelInfo info, bool? subscribed, CancellationToken cancellationToken)
    {
        var pinned = device.Store.GetPublicChannel(info.Server, info.Name);
        var ownerKey = info.Admins.FirstOrDefault(a => a.Username == info.Owner)?.IdentityKey;
        if (ownerKey is null)
        {
            return pinned is null ? OwnerKeyStatus.NotPinned : OwnerKeyStatus.Changed;
        }
        if (pinned is not null)
        {
            bool same = PublicChannelReader.SameOwner(info, pinned);
            if (subscribed is { } s && s != pinned.Subscribed)
            {
                using var transaction = await device.Store.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
                transaction.SaveChannelRecord(pinned with { Subscribed = s });
                transaction.Commit();
            }
            return same ? OwnerKeyStatus.Matches : OwnerKeyStatus.Changed;
        }
        using (var transaction = await device.Store.BeginTransactionAsync(cancellationToken).ConfigureAwait(false))
        {
            transaction.SaveChannelRecord(new PublicChannelRecord(info.Server, info.Name, info.Owner, ownerKey, subscribed ?? false, 0, device.Now));
            transaction.Commit();
        }
        return OwnerKeyStatus.PinnedNow;
    }

    /// <summary>Re-pins a public channel's owner key after it changed (once the person checked the new owner out of band).</summary>
    public async Task<PublicChannelInfo> AcceptPublicChannelOwnerAsync(string name, Uri? server = null, CancellationToken cancellationToken = default)
    {
        name = ParleyClient.CheckPublicChannelName(name);
        using var other = server is not null && !InviteLink.SameServer(server, device.Server.Server) ? new ParleyServerClient(server, null, device.Options.HttpHandler) : null;
        var info = await PublicChannelReader.GetInfoAsync(other ?? device.Server, name, cancellationToken).ConfigureAwait(false);
        var pinned = device.Store.GetPublicChannel(info.Server, info.Name);
        byte[] key = PublicChannelReader.OwnerKey(info);
        using var transaction = await device.Store.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        transaction.SaveChannelRecord(pinned is null
            ? new PublicChannelRecord(info.Server, info.Name, info.Owner, key, false, 0, device.Now)
            : pinned with { Owner = info.Owner, OwnerIdentityKey = key, PinnedAt = device.Now });
        transaction.Commit();
        return info;
    }
}
