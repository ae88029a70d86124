// docs/server-protocol.md, "Usernames": the one profile the client and the server both apply
// (Parley.Content.UsernameProfile); the client refuses what the server refuses, before asking it.
using Parley.Content;
using Xunit;

namespace Parley.Client.Tests;

public sealed class UsernameProfileTests
{
    [Theory]
    [InlineData("alice", "alice")]
    [InlineData("Alice.Example", "alice.example")]
    [InlineData("UPPER_CASE-1", "upper_case-1")]
    [InlineData("abc", "abc")]
    [InlineData("a0123456789012345678901234567890", "a0123456789012345678901234567890")]
    public void A_valid_name_folds_ascii_upper_case_only(string text, string canonical)
    {
        Assert.True(UsernameProfile.TryCanonicalize(text, out string? result));
        Assert.Equal(canonical, result);
        Assert.Equal(canonical, ParleyClient.CheckUsername($"  {text} "));
        Assert.Equal(canonical, ParleyClient.CheckPublicChannelName(text));
    }

    [Theory]
    [InlineData("\u212Aelvin")] // Kelvin sign, which invariant lower-casing turns into an ASCII k
    [InlineData("\uFF4Belvin")] // fullwidth k
    [InlineData("\u0430lice")] // Cyrillic а
    [InlineData("ali\u200Bce")] // zero-width space
    [InlineData("ali\u200Cce")] // zero-width non-joiner
    [InlineData("\u0130van")] // capital I with dot above
    [InlineData("ab")]
    [InlineData("abcdefghijklmnopqrstuvwxyz0123456")]
    [InlineData("semi;colon")]
    [InlineData("two words")]
    public void The_client_refuses_what_the_server_refuses(string text)
    {
        Assert.False(UsernameProfile.TryCanonicalize(text, out _));
        Assert.Throws<ParleyClientException>(() => ParleyClient.CheckUsername(text));
        Assert.Throws<ParleyClientException>(() => ParleyClient.CheckPublicChannelName(text));
    }

    [Theory]
    [InlineData("bob", "bob")]
    [InlineData("b0b", "bob")]
    [InlineData("paypa1", "paypal")]
    [InlineData("rnallory", "rnallory")]
    [InlineData("mallory", "rnallory")]
    [InlineData("m0m1", "rnornl")]
    [InlineData("alice_1.x-y", "alice_l.x-y")]
    public void The_skeleton_maps_exactly_the_confusables_of_uts_39_in_the_alphabet(string name, string skeleton)
    {
        Assert.Equal(skeleton, UsernameProfile.Skeleton(name));
    }

    [Fact]
    public void No_other_character_of_the_alphabet_changes_in_the_skeleton()
    {
        const string Alphabet = "abcdefghijklmnopqrstuvwxyz0123456789_.-";
        string others = string.Concat(Alphabet.Where(c => c is not ('0' or '1' or 'm')));

        Assert.Equal(others, UsernameProfile.Skeleton(others));
        // No prototype holds a character that has a prototype, so one pass is the whole skeleton.
        Assert.All(UsernameProfile.Confusables, e => Assert.Equal(e.Prototype, UsernameProfile.Skeleton(e.Prototype)));
    }
}
