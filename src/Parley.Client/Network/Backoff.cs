namespace Parley.Client.Network;

/// <summary>Exponential backoff with full jitter for reconnecting: 0.5 s, 1 s, 2 s, ... up to
/// <see cref="Maximum"/>, each delay drawn at random below its cap so many clients do not reconnect in step.</summary>
public sealed class Backoff
{
    private int _attempt;

    /// <summary>The first delay's cap.</summary>
    public TimeSpan Initial { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>The largest delay.</summary>
    public TimeSpan Maximum { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>The next delay; each call doubles the cap.</summary>
    public TimeSpan Next()
    {
        double cap = Math.Min(Maximum.TotalMilliseconds, Initial.TotalMilliseconds * Math.Pow(2, Math.Min(_attempt, 20)));
        _attempt++;
        return TimeSpan.FromMilliseconds(cap / 2 + Random.Shared.NextDouble() * cap / 2);
    }

    /// <summary>Starts again from <see cref="Initial"/> (after a connection that worked).</summary>
    public void Reset() => _attempt = 0;
}
