// A key package this device published, kept with its private keys until a Welcome uses it (RFC 9420 §10).
using System.Security.Cryptography;

namespace Parley.Client.Storage;

/// <summary>A published key package and the private keys that open its Welcome: rebuild the MLS bundle with
/// <c>KeyPackageBundle.FromPrivateKeys(keyPackage, InitPrivateKey, EncryptionPrivateKey, deviceSignaturePrivateKey)</c>.
/// Dispose wipes the private keys; they never print.</summary>
/// <param name="Ref">The KeyPackageRef a Welcome names it by.</param>
/// <param name="Message">The key package as the MLSMessage that was uploaded.</param>
/// <param name="InitPrivateKey">The HPKE init private key.</param>
/// <param name="EncryptionPrivateKey">The leaf's HPKE encryption private key.</param>
/// <param name="LastResort">A last-resort package (reusable; keep it after use).</param>
/// <param name="CreatedAt">When it was stored.</param>
public sealed record StoredKeyPackage(byte[] Ref, byte[] Message, byte[] InitPrivateKey, byte[] EncryptionPrivateKey, bool LastResort,
    DateTimeOffset CreatedAt) : IDisposable
{
    public void Dispose()
    {
        CryptographicOperations.ZeroMemory(InitPrivateKey);
        CryptographicOperations.ZeroMemory(EncryptionPrivateKey);
    }

    public override string ToString() => $"StoredKeyPackage({Convert.ToHexString(Ref.AsSpan(0, Math.Min(8, Ref.Length)))}…, last resort {LastResort})";
}
