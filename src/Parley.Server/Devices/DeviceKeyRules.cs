using Microsoft.AspNetCore.Http.HttpResults;
using Parley.Mls.Crypto;
using Parley.Server.Accounts;
using Parley.Server.Http;

namespace Parley.Server.Devices;

/// <summary>Checks a device key offered at registration or when adding a device: a supported
/// cipher suite, a plausible key, and a certificate by the account identity key.</summary>
public static class DeviceKeyRules
{
    /// <summary>Longest accepted signature public key (P-521 uncompressed is 133 bytes).</summary>
    public const int MaxSignatureKeyLength = 256;

    /// <summary>Null when the device key is acceptable; otherwise the problem to answer with.</summary>
    public static ProblemHttpResult? Check(DeviceKey? device, Username username, ReadOnlySpan<byte> identityKey)
    {
        if (device is null || device.SignatureKey is null || device.Certificate is null)
        {
            return Problem.BadRequest(ProblemCodes.MalformedRequest, "The device's cipher suite, signature key and certificate are required.");
        }
        if (!CipherSuite.TryGet(device.CipherSuite, out _))
        {
            return Problem.BadRequest(ProblemCodes.UnsupportedCipherSuite, $"MLS cipher suite {device.CipherSuite} is not supported.");
        }
        if (device.SignatureKey.Length is 0 or > MaxSignatureKeyLength)
        {
            return Problem.BadRequest(ProblemCodes.InvalidKey, "The device signature key has an impossible length.");
        }
        byte[] statement = AccountSignatures.DeviceCertificate(username.Value, device.CipherSuite, device.SignatureKey);
        if (!AccountSignatures.Verify(identityKey, statement, device.Certificate))
        {
            return Problem.BadRequest(ProblemCodes.InvalidSignature, "The device certificate is not signed by the account identity key.");
        }
        return null;
    }
}
