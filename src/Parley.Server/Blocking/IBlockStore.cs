using Parley.Server.Accounts;

namespace Parley.Server.Blocking;

/// <summary>Persistence of who blocked whom (account to account). The group stores read it inside the
/// submission transaction to withhold a blocked account's invitations and 1:1 messages.</summary>
public interface IBlockStore
{
    /// <summary>Records that <paramref name="blocker"/> blocks <paramref name="blocked"/> (again is no change).</summary>
    Task BlockAsync(AccountId blocker, AccountId blocked, CancellationToken cancellationToken);

    /// <summary>Lifts the block; false when there was none.</summary>
    Task<bool> UnblockAsync(AccountId blocker, AccountId blocked, CancellationToken cancellationToken);

    /// <summary>Whether <paramref name="blocker"/> blocks <paramref name="blocked"/>.</summary>
    Task<bool> BlocksAsync(AccountId blocker, AccountId blocked, CancellationToken cancellationToken);

    /// <summary>Usernames of the accounts <paramref name="blocker"/> blocks, sorted.</summary>
    Task<IReadOnlyList<string>> ListAsync(AccountId blocker, CancellationToken cancellationToken);
}
