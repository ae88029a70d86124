using System.Security.Cryptography;
using Microsoft.Extensions.DependencyInjection;
using Parley.Content;
using ContentFranking = Parley.Content.Franking;
using Parley.Mls.Codec;
using Parley.Mls.Messages;
using Parley.Server.Franking;
using Parley.Server.Mailboxes;

namespace Parley.Server.Tests;

/// <summary>Franked application messages as a sending client builds them: a content envelope with a fresh franking
/// key, its commitment in the PrivateMessage's authenticated_data (the ciphertext itself is random: the server
/// never decrypts).</summary>
public static class TestFranking
{
    /// <summary>A franked text envelope and the MLS message carrying its commitment.</summary>
    public static (byte[] Envelope, byte[] Message) Text(TestGroup group, string text, string? messageId = null)
        => Franked(group, new TextContent(text), messageId);

    /// <summary>A franked envelope of <paramref name="content"/> and the MLS message carrying its commitment.</summary>
    public static (byte[] Envelope, byte[] Message) Franked(TestGroup group, MessageContent content, string? messageId = null)
    {
        byte[] envelope = new ContentEnvelope(messageId ?? ContentEnvelope.NewMessageId(), DateTimeOffset.UtcNow, content,
            ContentFranking.NewKey()).Encode();
        return (envelope, Message(group, envelope));
    }

    /// <summary>The PrivateMessage whose authenticated_data commits to <paramref name="envelope"/>.</summary>
    public static byte[] Message(TestGroup group, byte[] envelope)
        => new MlsMessage(new PrivateMessage(group.Id, group.Epoch, ContentType.Application, ContentFranking.AadFor(envelope),
            RandomNumberGenerator.GetBytes(40), RandomNumberGenerator.GetBytes(envelope.Length + 16))).ToBytes();

    /// <summary>Opens a delivered stamp with the server's own key.</summary>
    public static FrankingStamp Open(ServerFactory server, MailboxEntry entry)
    {
        Assert.NotNull(entry.Stamp);
        Assert.True(server.Services.GetRequiredService<FrankingStamper>().TryOpen(entry.Stamp, out FrankingStamp? stamp));
        return stamp!;
    }

    /// <summary>The single mailbox entry of <paramref name="device"/> with message id <paramref name="id"/>.</summary>
    public static async Task<MailboxEntry> EntryAsync(TestDevice device, string id)
        => Assert.Single(await TestMailbox.ReadAsync(device), e => e.Id == id);
}
