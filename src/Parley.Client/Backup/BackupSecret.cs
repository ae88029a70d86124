using Parley.Client.Storage;

namespace Parley.Client.Backup;

/// <summary>What opens a backup: its backup key, or a passphrase stretched with Argon2id.</summary>
public sealed class BackupSecret
{
    private BackupSecret(BackupKey? key, string? passphrase, StoreKeyDerivation keyDerivation, BackupKeyKind kind)
    {
        Kind = kind;
        Key = key;
        Passphrase = passphrase;
        KeyDerivation = keyDerivation;
    }

    internal BackupKey? Key { get; }

    internal string? Passphrase { get; }

    internal StoreKeyDerivation KeyDerivation { get; }

    internal BackupKeyKind Kind { get; }

    /// <summary>A backup key (the caller keeps ownership and disposes it).</summary>
    public static BackupSecret FromKey(BackupKey key)
    {
        ArgumentNullException.ThrowIfNull(key);
        return new BackupSecret(key, null, StoreKeyDerivation.Default, BackupKeyKind.Key);
    }

    /// <summary>The key of a device link's history bundle (the caller keeps ownership and disposes it). It opens only
    /// files written with the same kind of secret: a history bundle is never read as a backup, nor a backup as one.</summary>
    internal static BackupSecret ForLinkHistory(BackupKey key)
    {
        ArgumentNullException.ThrowIfNull(key);
        return new BackupSecret(key, null, StoreKeyDerivation.Default, BackupKeyKind.LinkKey);
    }

    /// <summary>A passphrase; <paramref name="keyDerivation"/> sets the Argon2id cost of a new backup (an existing
    /// backup is opened with the cost written in its header).</summary>
    public static BackupSecret FromPassphrase(string passphrase, StoreKeyDerivation? keyDerivation = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(passphrase);
        return new BackupSecret(null, passphrase, keyDerivation ?? StoreKeyDerivation.Default, BackupKeyKind.Passphrase);
    }

    /// <summary>Never the secret itself.</summary>
    public override string ToString() => $"BackupSecret({Kind})";
}
