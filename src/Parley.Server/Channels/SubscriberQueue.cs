// docs/channels.md, "Subscriber queues": an anonymous subscriber's mailbox address, opened by a bearer credential that its
// client made and that names no device or account.
using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using Parley.Server.Devices;

namespace Parley.Server.Channels;

/// <summary>A subscriber queue: where a private channel's pseudonymous leaf receives its deliveries, and in whose name the leaf
/// sends its own handshake messages. The credential is 32 random bytes (base64url) sent as <c>Authorization: Queue {token}</c>;
/// the queue's id is <c>hex(SHA-256("Parley queue v1" || 0x00 || SHA-256(token))[0..16])</c>, which is all the server stores
/// (in the roster, the mailbox and a pending join request). The id has the shape of a device id, so rosters and mailboxes hold
/// it unchanged, but no device's signature key hashes to it, and knowing it does not open the queue.</summary>
public static class SubscriberQueue
{
    /// <summary>The authorization scheme.</summary>
    public const string Scheme = "Queue";

    /// <summary>Length of the random token in bytes.</summary>
    public const int TokenLength = 32;

    /// <summary>Length of the token in unpadded base64url characters.</summary>
    private const int EncodedLength = 43;

    private static readonly byte[] Label = Encoding.ASCII.GetBytes("Parley queue v1\0");

    /// <summary>Reads <c>{token}</c> (base64url of 32 bytes) and returns the queue it opens; false when malformed.</summary>
    public static bool TryOpen(ReadOnlySpan<char> credential, out DeviceId queue)
    {
        queue = default;
        // Exactly the 43 characters of 32 bytes, unpadded: no white space, which the decoder would skip.
        if (credential.Length != EncodedLength || !Base64Url.IsValid(credential, out int length) || length != TokenLength)
        {
            return false;
        }
        Span<byte> token = stackalloc byte[TokenLength];
        try
        {
            if (!Base64Url.TryDecodeFromChars(credential, token, out int written) || written != TokenLength)
            {
                return false;
            }
            queue = IdOf(token);
            return true;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(token);
        }
    }

    /// <summary>The queue <paramref name="token"/> opens.</summary>
    public static DeviceId IdOf(ReadOnlySpan<byte> token)
    {
        Span<byte> input = stackalloc byte[Label.Length + SHA256.HashSizeInBytes];
        Label.CopyTo(input);
        SHA256.HashData(token, input[Label.Length..]);
        return new DeviceId(Convert.ToHexStringLower(SHA256.HashData(input)[..16]));
    }
}
