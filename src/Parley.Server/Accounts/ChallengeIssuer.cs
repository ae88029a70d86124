using System.Security.Cryptography;
using Microsoft.Extensions.Options;

namespace Parley.Server.Accounts;

/// <summary>Issues single-use random challenges that account-key signatures must cover, so a
/// captured registration, add-device or revoke request cannot be replayed. Outstanding challenges
/// live in an <see cref="IChallengeStore"/>: memory for one node, the database for several.</summary>
public sealed class ChallengeIssuer(TimeProvider time, IOptions<ParleyServerOptions> options, IChallengeStore store)
{
    /// <summary>Length of a challenge in bytes.</summary>
    public const int Length = 32;

    /// <summary>A fresh challenge and the time it expires.</summary>
    public async Task<(byte[] Challenge, DateTimeOffset ExpiresAt)> IssueAsync(CancellationToken cancellationToken)
    {
        byte[] challenge = RandomNumberGenerator.GetBytes(Length);
        DateTimeOffset expiresAt = time.GetUtcNow() + options.Value.ChallengeLifetime;
        await store.AddAsync(challenge, expiresAt, cancellationToken);
        return (challenge, expiresAt);
    }

    /// <summary>Consumes <paramref name="challenge"/>: true exactly once for an issued, unexpired challenge.</summary>
    public Task<bool> TryRedeemAsync(byte[] challenge, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(challenge);
        return challenge.Length != Length
            ? Task.FromResult(false)
            : store.TryRedeemAsync(challenge, time.GetUtcNow(), cancellationToken);
    }
}
