namespace Parley.Server.Moderation;

/// <summary>Nonces of operator requests seen in the last <see cref="Window"/>, so a captured request cannot be
/// replayed while its timestamp is still acceptable. Only requests with a valid operator signature reach it,
/// so nobody but the operator can make it grow.</summary>
public sealed class OperatorNonces
{
    /// <summary>How long a nonce is remembered: twice the allowed clock skew, so a replay is refused for as
    /// long as its timestamp could pass the skew check.</summary>
    public static readonly TimeSpan Window = TimeSpan.FromSeconds(600);

    private readonly Dictionary<string, DateTimeOffset> _seen = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();

    /// <summary>Records <paramref name="nonce"/> as used at <paramref name="now"/>; false if it was already used within the window.</summary>
    public bool TryUse(string nonce, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(nonce);
        lock (_lock)
        {
            foreach (var (old, at) in _seen)
            {
                if (now - at > Window)
                {
                    _seen.Remove(old);
                }
            }
            return _seen.TryAdd(nonce, now);
        }
    }
}
