using Parley.Client.Network;
using Parley.Web.Components;

namespace Parley.Web.Tests;

/// <summary>What the page says when the server refuses: a sentence for a person, not the protocol's.</summary>
public sealed class ErrorSentenceTests
{
    [Fact]
    public void A_stale_epoch_refusal_reads_as_a_sentence_without_the_epoch()
    {
        var refusal = new ServerProblemException(409, "stale_epoch", "The group is at epoch 7.", epoch: 7);

        string sentence = Errors.Sentence(refusal);

        Assert.Equal("Someone changed this conversation at the same moment; it is up to date now, so try again.", sentence);
        Assert.DoesNotContain("epoch", sentence, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void A_refusal_without_a_sentence_of_its_own_keeps_the_servers()
    {
        var refusal = new ServerProblemException(409, "too_many_join_requests", "The channel has too many pending join requests.");

        Assert.Equal("The channel has too many pending join requests.", Errors.Sentence(refusal));
    }
}
