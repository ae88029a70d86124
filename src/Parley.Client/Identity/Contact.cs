// A contact's pinned identity and how far this device trusts it.
namespace Parley.Client.Identity;

/// <summary>An account this device has seen, with the identity key it pinned.</summary>
/// <param name="Username">The user name (lower case).</param>
/// <param name="IdentityKey">The pinned account identity public key.</param>
/// <param name="Verified">The user compared safety numbers for this key.</param>
/// <param name="IdentityChanged">A different key was seen and not yet accepted; see <paramref name="PendingIdentityKey"/>.</param>
/// <param name="PendingIdentityKey">The new key awaiting the user's acceptance.</param>
/// <param name="FirstSeenAt">When the key was first pinned.</param>
/// <param name="ChangedAt">When the pinned key last changed or a change was seen.</param>
public sealed record Contact(
    string Username,
    byte[] IdentityKey,
    bool Verified,
    bool IdentityChanged,
    byte[]? PendingIdentityKey,
    DateTimeOffset FirstSeenAt,
    DateTimeOffset? ChangedAt);
