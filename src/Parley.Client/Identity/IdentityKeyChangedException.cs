// Trust on first use: a contact's identity key that differs from the pinned one is refused.
namespace Parley.Client.Identity;

/// <summary>A contact's account identity key differs from the key this device pinned. Nothing is sent to or
/// accepted from that key until the user accepts the change (<see cref="Storage.ClientStore.AcceptIdentityKeyChange"/>),
/// ideally after comparing safety numbers again.</summary>
public sealed class IdentityKeyChangedException : Exception
{
    public IdentityKeyChangedException(string username)
        : base($"{username}'s identity key has changed. Compare safety numbers with {username}, then accept the new key to continue.")
    {
        Username = username;
    }

    /// <summary>The contact whose key changed.</summary>
    public string Username { get; }
}
