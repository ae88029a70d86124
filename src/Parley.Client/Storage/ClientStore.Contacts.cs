// Identity pinning (trust on first use) and verification of contacts' account identity keys.
using System.Security.Cryptography;
using Parley.Client.Identity;

namespace Parley.Client.Storage;

public sealed partial class ClientStore
{
    /// <summary>Every contact, by user name.</summary>
    public IReadOnlyList<Contact> Contacts
    {
        get
        {
            lock (_cacheGate)
            {
                return _contacts.Values.Select(c => c.Contact).OrderBy(c => c.Username, StringComparer.Ordinal).ToList();
            }
        }
    }

    /// <summary>The contact with <paramref name="username"/>, or null.</summary>
    public Contact? GetContact(string username)
    {
        ArgumentNullException.ThrowIfNull(username);
        lock (_cacheGate)
        {
            return _contacts.TryGetValue(username.ToLowerInvariant(), out var entry) ? entry.Contact : null;
        }
    }

    /// <summary>Checks an account identity key seen for <paramref name="username"/> (in the directory, a key package
    /// or a group): the first key seen is pinned; the pinned key passes; a different key is recorded as pending,
    /// clears the verified flag and throws <see cref="IdentityKeyChangedException"/> until
    /// <see cref="AcceptIdentityKeyChange"/>.</summary>
    public Contact CheckIdentityKey(string username, ReadOnlySpan<byte> identityKey)
    {
        ArgumentException.ThrowIfNullOrEmpty(username);
        if (identityKey.Length != AccountIdentityKey.PublicKeySize)
        {
            throw new ArgumentException("An account identity public key is 32 bytes.", nameof(identityKey));
        }
        username = username.ToLowerInvariant();
        using var transaction = BeginTransaction();
        var (rowId, existing) = ContactEntry(username);
        if (existing is null)
        {
            var pinned = new Contact(username, identityKey.ToArray(), false, false, null, Time.GetUtcNow(), null);
            transaction.SaveContact(RandomNumberGenerator.GetBytes(16), pinned);
            transaction.Commit();
            return pinned;
        }
        if (CryptographicOperations.FixedTimeEquals(existing.IdentityKey, identityKey))
        {
            return existing;
        }
        bool alreadyPending = existing.PendingIdentityKey is { } pending && CryptographicOperations.FixedTimeEquals(pending, identityKey);
        if (!alreadyPending)
        {
            transaction.SaveContact(rowId!, existing with
            {
                Verified = false,
                IdentityChanged = true,
                PendingIdentityKey = identityKey.ToArray(),
                ChangedAt = Time.GetUtcNow(),
            });
            transaction.Commit();
        }
        throw new IdentityKeyChangedException(username);
    }

    /// <summary>Accepts the pending new key of <paramref name="username"/>: it becomes the pinned key (unverified).</summary>
    public Contact AcceptIdentityKeyChange(string username)
    {
        ArgumentException.ThrowIfNullOrEmpty(username);
        using var transaction = BeginTransaction();
        var (rowId, existing) = ContactEntry(username.ToLowerInvariant());
        if (existing?.PendingIdentityKey is not { } pending)
        {
            throw new InvalidOperationException($"{username} has no identity key change to accept.");
        }
        var accepted = existing with
        {
            IdentityKey = pending,
            PendingIdentityKey = null,
            IdentityChanged = false,
            Verified = false,
            ChangedAt = Time.GetUtcNow(),
        };
        transaction.SaveContact(rowId!, accepted);
        transaction.Commit();
        return accepted;
    }

    /// <summary>Marks <paramref name="username"/> verified after the user compared safety numbers computed from
    /// <paramref name="identityKey"/>, which must be the pinned key (so a key that changed meanwhile is not verified).</summary>
    public Contact MarkVerified(string username, ReadOnlySpan<byte> identityKey, bool verified = true)
    {
        ArgumentException.ThrowIfNullOrEmpty(username);
        using var transaction = BeginTransaction();
        var (rowId, existing) = ContactEntry(username.ToLowerInvariant());
        if (existing is null)
        {
            throw new InvalidOperationException($"{username} is not a contact yet.");
        }
        if (existing.IdentityChanged || !CryptographicOperations.FixedTimeEquals(existing.IdentityKey, identityKey))
        {
            throw new IdentityKeyChangedException(existing.Username);
        }
        var updated = existing with { Verified = verified };
        transaction.SaveContact(rowId!, updated);
        transaction.Commit();
        return updated;
    }

    /// <summary>The safety number between this device's account and <paramref name="username"/>'s pinned key.</summary>
    public SafetyNumber SafetyNumberWith(string username)
    {
        var identity = Identity ?? throw new InvalidOperationException("The store has no device identity yet.");
        var contact = GetContact(username) ?? throw new InvalidOperationException($"{username} is not a contact yet.");
        return SafetyNumber.Compute(identity.AccountName, identity.AccountIdentityPublicKey, contact.Username, contact.IdentityKey);
    }

    private (byte[]? RowId, Contact? Contact) ContactEntry(string username)
    {
        lock (_cacheGate)
        {
            return _contacts.TryGetValue(username, out var entry) ? entry : (null, null);
        }
    }
}
