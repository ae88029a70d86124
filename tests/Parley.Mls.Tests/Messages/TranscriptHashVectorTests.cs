// RFC 9420 §8.2 (transcript hashes) against the "transcript-hashes" interop vectors.
using Parley.Mls.Codec;
using Parley.Mls.Crypto;
using Parley.Mls.Framing;
using Parley.Mls.Messages;
using Parley.Mls.Tests.Vectors;
using Xunit;

namespace Parley.Mls.Tests.Messages;

public sealed class TranscriptHashVectorTests
{
    public static IEnumerable<object[]> Entries()
        => VectorFile.Cases("transcript-hashes", e => CipherSuite.TryGet(e.GetProperty("cipher_suite").GetUInt16(), out _));

    [Theory]
    [MemberData(nameof(Entries))]
    public void Commit_updates_the_transcript_hashes_and_its_confirmation_tag_verifies(int index, ushort suiteId)
    {
        var entry = VectorFile.Load("transcript-hashes")[index];
        var suite = CipherSuite.Get(suiteId);
        byte[] confirmationKey = entry.Hex("confirmation_key");
        var content = TlsReader.Decode(entry.Hex("authenticated_content"), AuthenticatedContent.Decode);
        byte[] interimBefore = entry.Hex("interim_transcript_hash_before");
        byte[] confirmedAfter = entry.Hex("confirmed_transcript_hash_after");
        byte[] interimAfter = entry.Hex("interim_transcript_hash_after");

        Assert.Equal(ContentType.Commit, content.Content.ContentType);
        Assert.NotNull(content.Content.Commit);
        byte[] expectedTag = suite.Mac(confirmationKey, confirmedAfter);
        Assert.True(CipherSuite.FixedTimeEquals(expectedTag, content.Auth.ConfirmationTag));

        var (confirmed, interim) = TranscriptHash.Update(suite, interimBefore, content);
        Assert.Equal(confirmedAfter, confirmed);
        Assert.Equal(interimAfter, interim);
        Assert.Equal(entry.Hex("authenticated_content"), content.ToBytes());
    }
}
