namespace Parley.Server.Moderation;

/// <summary>Persistence of the operator's spent nonces until their replay window ends, in the database every node
/// shares, so a captured request is refused after a restart and on any other node.</summary>
public interface IOperatorNonceStore
{
    /// <summary>Records <paramref name="nonce"/> as spent until <paramref name="expiresAt"/>, first forgetting nonces
    /// whose window ended by <paramref name="now"/>; false, changing nothing, if it is already recorded.</summary>
    Task<bool> TryUseAsync(string nonce, DateTimeOffset now, DateTimeOffset expiresAt, CancellationToken cancellationToken);
}
