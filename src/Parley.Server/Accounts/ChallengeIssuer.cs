using System.Collections.Concurrent;
using System.Security.Cryptography;
using Microsoft.Extensions.Options;

namespace Parley.Server.Accounts;

/// <summary>Issues single-use random challenges that account-key signatures must cover, so a
/// captured registration, add-device or revoke request cannot be replayed. Held in memory: a
/// challenge outliving a restart is simply asked for again.</summary>
public sealed class ChallengeIssuer(TimeProvider time, IOptions<ParleyServerOptions> options)
{
    /// <summary>Length of a challenge in bytes.</summary>
    public const int Length = 32;

    private const int MaxOutstanding = 100_000;

    private readonly ConcurrentDictionary<string, DateTimeOffset> _outstanding = new();

    /// <summary>A fresh challenge and the time it expires.</summary>
    public (byte[] Challenge, DateTimeOffset ExpiresAt) Issue()
    {
        DateTimeOffset now = time.GetUtcNow();
        if (_outstanding.Count >= MaxOutstanding)
        {
            foreach (var (key, expiry) in _outstanding)
            {
                if (expiry <= now)
                {
                    _outstanding.TryRemove(key, out _);
                }
            }
        }
        byte[] challenge = RandomNumberGenerator.GetBytes(Length);
        DateTimeOffset expiresAt = now + options.Value.ChallengeLifetime;
        _outstanding[Convert.ToHexString(challenge)] = expiresAt;
        return (challenge, expiresAt);
    }

    /// <summary>Consumes <paramref name="challenge"/>: true exactly once for an issued, unexpired challenge.</summary>
    public bool TryRedeem(ReadOnlySpan<byte> challenge)
    {
        if (challenge.Length != Length)
        {
            return false;
        }
        return _outstanding.TryRemove(Convert.ToHexString(challenge), out DateTimeOffset expiresAt)
               && expiresAt > time.GetUtcNow();
    }
}
