namespace Parley.Server.Moderation;

/// <summary>Nonces of operator requests seen in the last <see cref="Window"/>, so a captured request cannot be
/// replayed while its timestamp is still acceptable. They are kept in the database (<see cref="IOperatorNonceStore"/>),
/// not in memory, so neither a restart nor another node forgets them. Only requests with a valid operator signature
/// reach it, so nobody but the operator can make the table grow.</summary>
public sealed class OperatorNonces(IOperatorNonceStore store)
{
    /// <summary>How long a nonce is remembered: twice the allowed clock skew, so a replay is refused for as
    /// long as its timestamp could pass the skew check.</summary>
    public static readonly TimeSpan Window = TimeSpan.FromSeconds(600);

    /// <summary>Records <paramref name="nonce"/> as used at <paramref name="now"/>; false if it was already used within the window.</summary>
    public Task<bool> TryUseAsync(string nonce, DateTimeOffset now, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(nonce);
        return store.TryUseAsync(nonce, now, now + Window, cancellationToken);
    }
}
