// An attachment this device knows about: its reference and, once downloaded, its local encrypted copy.
using Parley.Content;
using System.Security.Cryptography;
using Parley.Client.Messages;

namespace Parley.Client.Attachments;

/// <summary>An attachment's local id: 16 random bytes.</summary>
public readonly record struct AttachmentId(Guid Value)
{
    /// <summary>A fresh random id.</summary>
    public static AttachmentId New() => new(new Guid(RandomNumberGenerator.GetBytes(16)));

    public override string ToString() => Value.ToString("N");
}

/// <summary>An attachment in the store. The local copy, if any, is the ciphertext as downloaded (or as
/// encrypted for upload): plaintext never rests on disk; decrypt it with <see cref="AttachmentCipher"/> when shown.</summary>
/// <param name="Id">The local id.</param>
/// <param name="Message">The message that carries it, if stored.</param>
/// <param name="Reference">Blob id, key, digest, sizes, type and name.</param>
/// <param name="LocalPath">The local ciphertext file, when downloaded.</param>
/// <param name="ExpiresAt">When it is deleted with its disappearing message (or, while unsent, with its unfinished blob).</param>
/// <param name="Source">Only while this device is still sending it (no message yet): the file it was encrypted from, as
/// path, length and modification time, so that sending that file again resumes the upload.</param>
public sealed record StoredAttachment(AttachmentId Id, LocalMessageId? Message, AttachmentReference Reference, string? LocalPath, DateTimeOffset? ExpiresAt,
    string? Source = null);
