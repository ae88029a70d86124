// RFC 9420 §6 (ProtocolVersion).
namespace Parley.Mls.Messages;

/// <summary>MLS protocol versions; Parley speaks only mls10.</summary>
public static class ProtocolVersion
{
    public const ushort Mls10 = 1;
}
