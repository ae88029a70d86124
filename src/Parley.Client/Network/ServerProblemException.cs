// Parley server protocol v1, "Problem codes": every error is an RFC 9457 problem with a stable code.
namespace Parley.Client.Network;

/// <summary>The server refused a request: <see cref="Code"/> is the problem's stable code
/// (<c>stale_epoch</c>, <c>no_key_packages</c>, ...) and the message is the server's explanation.</summary>
public sealed class ServerProblemException : Exception
{
    public ServerProblemException()
    {
        Code = "unknown";
    }

    public ServerProblemException(string message) : base(message)
    {
        Code = "unknown";
    }

    public ServerProblemException(string message, Exception innerException) : base(message, innerException)
    {
        Code = "unknown";
    }

    /// <summary>A problem answered with HTTP <paramref name="status"/> and code <paramref name="code"/>.</summary>
    public ServerProblemException(int status, string code, string message, ulong? epoch = null, TimeSpan? retryAfter = null)
        : base(message)
    {
        Status = status;
        Code = code;
        Epoch = epoch;
        RetryAfter = retryAfter;
    }

    /// <summary>The HTTP status.</summary>
    public int Status { get; }

    /// <summary>The problem's stable code.</summary>
    public string Code { get; }

    /// <summary>For <c>stale_epoch</c>: the group's current epoch.</summary>
    public ulong? Epoch { get; }

    /// <summary>For <c>rate_limited</c>: how long to wait.</summary>
    public TimeSpan? RetryAfter { get; }

    /// <summary>For <c>blob_too_large</c>: the largest file the server takes, in bytes of the file itself.</summary>
    public long? MaxFileSize { get; init; }
}

/// <summary>The server could not be reached or did not answer as the protocol says.</summary>
public sealed class ServerUnavailableException : Exception
{
    public ServerUnavailableException()
    {
    }

    public ServerUnavailableException(string message) : base(message)
    {
    }

    public ServerUnavailableException(string message, Exception innerException) : base(message, innerException)
    {
    }
}
