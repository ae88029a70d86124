using Parley.Server.Accounts;

namespace Parley.Server.Moderation;

/// <summary>Persistence of suspended accounts (only the account id, the operator's reason and when).</summary>
public interface ISuspensionStore
{
    /// <summary>Suspends <paramref name="account"/>; false when it already was.</summary>
    Task<bool> SuspendAsync(AccountId account, string reason, DateTimeOffset at, CancellationToken cancellationToken);

    /// <summary>Lifts the suspension; false when the account was not suspended.</summary>
    Task<bool> RestoreAsync(AccountId account, CancellationToken cancellationToken);

    /// <summary>Every suspended account.</summary>
    Task<IReadOnlyList<AccountId>> ListAsync(CancellationToken cancellationToken);
}
