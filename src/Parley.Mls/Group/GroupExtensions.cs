// RFC 9420 §13.4 (extensions), §11.1 (required_capabilities), §12.1.8.1 (external_senders),
// §12.4.3.2 (external_pub) and §12.4.3.3 (ratchet_tree): reading the extensions a group uses.
using Parley.Mls.Codec;
using Parley.Mls.Messages;

namespace Parley.Mls.Group;

/// <summary>Looks up and decodes the extensions of a GroupContext or GroupInfo.</summary>
internal static class GroupExtensions
{
    public static Extension? Find(IReadOnlyList<Extension> extensions, ushort type)
    {
        foreach (var e in extensions)
        {
            if (e.Type == type)
            {
                return e;
            }
        }
        return null;
    }

    public static RequiredCapabilities? RequiredCapabilities(IReadOnlyList<Extension> extensions)
        => Find(extensions, ExtensionType.RequiredCapabilities) is { } e
            ? TlsReader.Decode(e.Data, Messages.RequiredCapabilities.Decode)
            : null;

    public static IReadOnlyList<ExternalSender> ExternalSenders(IReadOnlyList<Extension> extensions)
        => Find(extensions, ExtensionType.ExternalSenders) is { } e ? ExternalSender.DecodeList(e.Data) : [];

    public static ExternalPub? ExternalPub(IReadOnlyList<Extension> extensions)
        => Find(extensions, ExtensionType.ExternalPub) is { } e ? TlsReader.Decode(e.Data, Messages.ExternalPub.Decode) : null;

    /// <summary>Decodes the extensions this library interprets, so that malformed ones are rejected
    /// when they enter the group context.</summary>
    public static void CheckWellFormed(IReadOnlyList<Extension> groupContextExtensions)
    {
        try
        {
            RequiredCapabilities(groupContextExtensions);
            ExternalSenders(groupContextExtensions);
        }
        catch (MlsDecodeException e)
        {
            throw new MlsProtocolException(MlsError.GroupContextExtensionInvalid, $"A group context extension is malformed: {e.Message}");
        }
        if (Find(groupContextExtensions, ExtensionType.RatchetTree) is not null
            || Find(groupContextExtensions, ExtensionType.ExternalPub) is not null)
        {
            throw new MlsProtocolException(MlsError.GroupContextExtensionInvalid, "The ratchet_tree and external_pub extensions belong in a GroupInfo, not the group context.");
        }
    }
}
