// RFC 9420 §6 (ContentType).
namespace Parley.Mls.Messages;

/// <summary>What a FramedContent carries: application data, a proposal or a commit.</summary>
public enum ContentType : byte
{
    Application = 1,
    Proposal = 2,
    Commit = 3,
}
