// RFC 9420 §9 (secret tree): each leaf seeds a handshake ratchet and an application ratchet.
namespace Parley.Mls.KeySchedule;

/// <summary>Which of a sender's two hash ratchets a key comes from: handshake messages (proposals
/// and commits) or application messages.</summary>
public enum RatchetType
{
    Handshake = 0,
    Application = 1,
}
