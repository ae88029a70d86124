using System.Collections.Concurrent;

namespace Parley.Server.Accounts;

/// <summary>Outstanding challenges in this process's memory: a challenge outliving a restart is
/// simply asked for again. Expired ones are dropped once too many are outstanding.</summary>
public sealed class MemoryChallengeStore(TimeProvider time) : IChallengeStore
{
    private const int MaxOutstanding = 100_000;

    private readonly ConcurrentDictionary<string, DateTimeOffset> _outstanding = new();

    public Task AddAsync(byte[] challenge, DateTimeOffset expiresAt, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(challenge);
        if (_outstanding.Count >= MaxOutstanding)
        {
            DateTimeOffset now = time.GetUtcNow();
            foreach (var (key, expiry) in _outstanding)
            {
                if (expiry <= now)
                {
                    _outstanding.TryRemove(key, out _);
                }
            }
        }
        _outstanding[Convert.ToHexString(challenge)] = expiresAt;
        return Task.CompletedTask;
    }

    public Task<bool> TryRedeemAsync(byte[] challenge, DateTimeOffset now, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(challenge);
        return Task.FromResult(_outstanding.TryRemove(Convert.ToHexString(challenge), out DateTimeOffset expiresAt) && expiresAt > now);
    }
}
