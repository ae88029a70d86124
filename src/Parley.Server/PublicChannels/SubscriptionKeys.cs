using System.Security.Cryptography;
using System.Text;
using Parley.Server.Accounts;
using Parley.Server.Franking;

namespace Parley.Server.PublicChannels;

/// <summary>The stored key of an account's subscription to a public channel: HMAC-SHA256 under a server secret kept
/// with the franking key, apart from the data folder, so a copy of the database cannot test which accounts subscribe
/// to a channel by hashing their ids (docs/privacy.md). Subscriptions are counted, never listed: the key only
/// deduplicates one account's subscription.</summary>
public sealed class SubscriptionKeys(IServerSecrets secrets)
{
    /// <summary>Name of the key among the server's secrets.</summary>
    public const string SecretName = "subscription.key";

    private readonly Lazy<byte[]> _key = new(() => secrets.GetOrCreate(SecretName, () => RandomNumberGenerator.GetBytes(32)));

    /// <summary>The key stored for <paramref name="account"/>'s subscription to <paramref name="channel"/>.</summary>
    public byte[] Of(string channel, AccountId account)
        => HMACSHA256.HashData(_key.Value, Encoding.UTF8.GetBytes($"Parley public subscription v2\0{channel}\0{account.Value}"));

    /// <summary>The unkeyed hash servers stored before; removed when its account subscribes or unsubscribes again.</summary>
    public static byte[] Legacy(string channel, AccountId account)
        => SHA256.HashData(Encoding.UTF8.GetBytes($"Parley public subscription v1\0{channel}\0{account.Value}"));
}
