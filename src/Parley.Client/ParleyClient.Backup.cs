// Encrypted backups (docs/backup.md): writing one from this device, and restoring one as a new device of the
// same account that rejoins its conversations by the rules the server enforces.
using System.Security.Cryptography;
using Parley.Client.Backup;
using Parley.Client.Identity;
using Parley.Client.Network;
using Parley.Client.Storage;

namespace Parley.Client;

public sealed partial class ParleyClient
{
    /// <summary>Writes an encrypted backup of this device's account, contacts, blocks, conversations, history and
    /// channel memberships to <paramref name="path"/> (atomically, readable by the owner only). No MLS group state
    /// is copied. Returns what the backup holds.</summary>
    public async Task<BackupManifest> CreateBackupAsync(string path, BackupSecret secret, IProgress<BackupProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(secret);
        using (await LockAsync(cancellationToken).ConfigureAwait(false))
        {
            return await Task.Run(() => BackupFile.WriteAtomically(path, output =>
            {
                using var writer = BackupWriter.Create(output, secret);
                var manifest = BackupContents.Write(_store, writer, progress, cancellationToken);
                writer.Complete();
                return manifest;
            }), cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Checks the whole backup at <paramref name="path"/> (every chunk and record) without writing anything
    /// and returns its manifest. Throws <see cref="BackupFormatException"/>.</summary>
    public static BackupManifest VerifyBackup(string path, BackupSecret secret)
    {
        var (manifest, accountKey) = ReadBackup(path, secret, _ => { }, null, default);
        CryptographicOperations.ZeroMemory(accountKey);
        return manifest;
    }

    /// <summary>Restores the backup at <paramref name="path"/> as a new device of its account in <paramref name="home"/>:
    /// checks the whole file first (nothing is written for a bad one), registers a device certified by the account
    /// key the backup holds, and stores the contacts, blocks, conversations, history and channel memberships. Each
    /// conversation is read-only until a member's device takes this one back: the restored device asks each
    /// conversation with a join request (<see cref="RequestRejoinAsync"/>, again on later syncs), which another device of
    /// the account or a contact's device commits on its next sync. <paramref name="server"/> null means the backup's own server; another server than the backup's
    /// is refused (<see cref="BackupProblem.OtherServer"/>).</summary>
    public static async Task<ParleyClient> RestoreBackupAsync(string home, string passphrase, Uri? server, string path, BackupSecret secret,
        ParleyClientOptions? options = null, IProgress<BackupProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(home);
        ArgumentNullException.ThrowIfNull(passphrase);
        options ??= new ParleyClientOptions();
        if (ClientStore.Exists(StorePath(home)))
        {
            throw new ParleyClientException(ClientError.HomeHasAccount, Path.GetFullPath(home),
                $"{Path.GetFullPath(home)} already holds a Parley account; restore into another home.", detail: "restore");
        }
        var (manifest, seed) = await Task.Run(() => ReadBackup(path, secret, _ => { }, null, cancellationToken), cancellationToken).ConfigureAwait(false);
        AccountIdentityKey accountKey;
        try
        {
            if (server is not null && !SameServer(server, manifest.Server))
            {
                throw new BackupFormatException(BackupProblem.OtherServer,
                    $"This backup is of {manifest.Account} on {manifest.Server}, not on {server}; restore it on its own server.");
            }
            accountKey = AccountIdentityKey.Import(seed);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(seed);
        }
        if (!CryptographicOperations.FixedTimeEquals(accountKey.PublicKey, manifest.AccountPublicKey))
        {
            accountKey.Dispose();
            throw new BackupFormatException("The backup's account key does not match its manifest.");
        }
        var client = await RegisterDeviceAsync(StorePath(home), passphrase, manifest.Account, manifest.Server, accountKey, options, cancellationToken)
            .ConfigureAwait(false);
        try
        {
            await Task.Run(() => client.ImportBackup(path, secret, progress, cancellationToken), cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            string store = client._store.Path;
            client.Dispose();
            DeleteStoreFiles(store);
            throw;
        }
        try
        {
            await client.RequestRejoinAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is ServerProblemException or HttpRequestException)
        {
            // The restore is complete; each sync asks again.
        }
        return client;
    }

    /// <summary>Revokes every other device of this account (after a restore, the lost ones); returns their ids.</summary>
    public async Task<IReadOnlyList<string>> RevokeOtherDevicesAsync(CancellationToken cancellationToken = default)
    {
        var revoked = new List<string>();
        foreach (var device in await ListDevicesAsync(cancellationToken).ConfigureAwait(false))
        {
            if (!device.Current && !device.Revoked)
            {
                revoked.Add(await RevokeDeviceAsync(device.DeviceId, cancellationToken).ConfigureAwait(false));
            }
        }
        return revoked;
    }

    private static (BackupManifest Manifest, byte[] AccountKey) ReadBackup(string path, BackupSecret secret, Action<BackupItem> apply,
        IProgress<BackupProgress>? progress, CancellationToken cancellationToken)
        => BackupContents.ReadFile(path, secret, apply, progress, cancellationToken);

    private static bool SameServer(Uri a, Uri b)
        => string.Equals(a.GetLeftPart(UriPartial.Authority), b.GetLeftPart(UriPartial.Authority), StringComparison.OrdinalIgnoreCase)
           && string.Equals(a.AbsolutePath.TrimEnd('/'), b.AbsolutePath.TrimEnd('/'), StringComparison.Ordinal);

    private void ImportBackup(string path, BackupSecret secret, IProgress<BackupProgress>? progress, CancellationToken cancellationToken)
        => BackupImport.Apply(_store, path, secret, groupId => _leaf.CreateGroup(groupId, _groupOptions), progress, cancellationToken);

    /// <summary>Writes the stored history of <paramref name="conversation"/> (a name or id) in plain text to
    /// <paramref name="output"/>; returns how many messages. Nothing is sent to the server.</summary>
    public int ExportConversation(string conversation, ExportFormat format, Stream output)
    {
        ArgumentNullException.ThrowIfNull(output);
        return ConversationExport.Write(_store, GetConversation(conversation), format, output);
    }
}
