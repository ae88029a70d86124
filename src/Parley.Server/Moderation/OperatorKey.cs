using Microsoft.Extensions.Options;

namespace Parley.Server.Moderation;

/// <summary>The operator's Ed25519 public key from <c>Parley:OperatorKey</c> (base64); absent means the
/// moderation endpoints are disabled.</summary>
public sealed class OperatorKey
{
    /// <summary>Parses the configured key; a malformed key stops the server at start-up rather than
    /// silently disabling moderation.</summary>
    public OperatorKey(IOptions<ParleyServerOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        string? configured = options.Value.OperatorKey;
        if (string.IsNullOrWhiteSpace(configured))
        {
            return;
        }
        byte[] key;
        try
        {
            key = Convert.FromBase64String(configured.Trim());
        }
        catch (FormatException)
        {
            throw new InvalidOperationException("Parley:OperatorKey must be the base64 of a 32-byte Ed25519 public key.");
        }
        if (key.Length != OperatorSignature.KeyLength)
        {
            throw new InvalidOperationException("Parley:OperatorKey must be the base64 of a 32-byte Ed25519 public key.");
        }
        PublicKey = key;
    }

    /// <summary>The key, or null when no operator is configured.</summary>
    public byte[]? PublicKey { get; }
}
