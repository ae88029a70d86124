// RFC 9420 §6 (WireFormat) and §17.2 (MLS wire formats).
namespace Parley.Mls.Messages;

/// <summary>What an <see cref="MlsMessage"/> carries.</summary>
public enum WireFormat : ushort
{
    MlsPublicMessage = 1,
    MlsPrivateMessage = 2,
    MlsWelcome = 3,
    MlsGroupInfo = 4,
    MlsKeyPackage = 5,
}
