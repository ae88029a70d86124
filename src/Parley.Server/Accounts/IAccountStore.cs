using Parley.Server.Devices;

namespace Parley.Server.Accounts;

/// <summary>An account: its id, unique username and Ed25519 identity public key.</summary>
public sealed record Account(AccountId Id, Username Username, byte[] IdentityKey);

/// <summary>What became of a registration.</summary>
public enum RegistrationOutcome
{
    Created,
    UsernameTaken,
    /// <summary>Another account's username has the same confusable skeleton (<see cref="Username.Skeleton"/>).</summary>
    UsernameConfusable,
    DeviceExists,
}

/// <summary>Persistence of accounts (the directory).</summary>
public interface IAccountStore
{
    /// <summary>Creates the account together with its first device, atomically, unless its username or another
    /// with the same skeleton is registered, or the device is.</summary>
    Task<RegistrationOutcome> CreateAsync(Account account, NewDevice firstDevice, CancellationToken cancellationToken);

    /// <summary>The account called <paramref name="username"/>, or null.</summary>
    Task<Account?> FindByUsernameAsync(Username username, CancellationToken cancellationToken);

    /// <summary>The account with id <paramref name="id"/>, or null.</summary>
    Task<Account?> FindByIdAsync(AccountId id, CancellationToken cancellationToken);
}
