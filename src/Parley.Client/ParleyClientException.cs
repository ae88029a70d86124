namespace Parley.Client;

/// <summary>A request the client cannot carry out, with a sentence a person can act on
/// (<c>No conversation is named "x"; see `parley group list`.</c>).</summary>
public sealed class ParleyClientException : Exception
{
    public ParleyClientException()
    {
    }

    public ParleyClientException(string message) : base(message)
    {
    }

    public ParleyClientException(string message, Exception innerException) : base(message, innerException)
    {
    }
}
