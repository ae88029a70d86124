using Parley.Client.Identity;
using Xunit;

namespace Parley.Client.Tests;

public sealed class SafetyNumberTests
{
    private static readonly byte[] AliceKey = Enumerable.Range(0, 32).Select(i => (byte)i).ToArray();
    private static readonly byte[] BobKey = Enumerable.Range(0, 32).Select(i => (byte)(0xFF - i)).ToArray();

    [Fact]
    public void Both_sides_see_the_same_number()
    {
        var alice = SafetyNumber.Compute("alice", AliceKey, "bob", BobKey);
        var bob = SafetyNumber.Compute("bob", BobKey, "alice", AliceKey);
        Assert.Equal(alice.Digits, bob.Digits);
        Assert.Equal(alice.QrPayload, bob.QrPayload);
        Assert.True(alice.Matches(bob.QrPayload));
        Assert.True(bob.Matches(alice.QrPayloadBase64));
    }

    [Fact]
    public void It_is_60_digits_in_12_groups_of_5()
    {
        var number = SafetyNumber.Compute("alice", AliceKey, "bob", BobKey);
        Assert.Equal(60, number.Digits.Length);
        Assert.All(number.Digits, c => Assert.InRange(c, '0', '9'));
        Assert.Equal(12, number.Groups.Count);
        Assert.All(number.Groups, g => Assert.Equal(5, g.Length));
        Assert.Equal(string.Join(' ', number.Groups), number.ToString());
        Assert.Equal(SafetyNumber.Version, number.QrPayload[0]);
        Assert.Equal(65, number.QrPayload.Length);
    }

    [Fact]
    public void The_construction_is_stable()
    {
        // The vector in docs/client-envelope.md: any change to the construction changes this number.
        var number = SafetyNumber.Compute("alice", AliceKey, "bob", BobKey);
        Assert.Equal(ExpectedVector, number.ToString());
        Assert.Equal(ExpectedQrPayload, number.QrPayloadBase64);
    }

    [Fact]
    public void A_different_key_or_name_gives_a_different_number()
    {
        var original = SafetyNumber.Compute("alice", AliceKey, "bob", BobKey);
        byte[] otherKey = (byte[])BobKey.Clone();
        otherKey[31] ^= 1;
        var changedKey = SafetyNumber.Compute("alice", AliceKey, "bob", otherKey);
        var changedName = SafetyNumber.Compute("alice", AliceKey, "bobby", BobKey);
        Assert.NotEqual(original.Digits, changedKey.Digits);
        Assert.NotEqual(original.Digits, changedName.Digits);
        Assert.False(original.Matches(changedKey.QrPayload));
        Assert.False(original.Matches("not base64!"));
    }

    [Fact]
    public void User_names_compare_without_case()
        => Assert.Equal(SafetyNumber.Compute("Alice", AliceKey, "BOB", BobKey).Digits, SafetyNumber.Compute("alice", AliceKey, "bob", BobKey).Digits);

    [Fact]
    public void Keys_of_the_wrong_length_are_refused()
        => Assert.Throws<ArgumentException>(() => SafetyNumber.Compute("alice", new byte[31], "bob", BobKey));

    // Computed independently (Python, hashlib) from the construction in docs/client-envelope.md.
    internal const string ExpectedVector = "05567 97489 13102 13220 96009 58789 84679 25743 23470 01543 45544 99633";
    internal const string ExpectedQrPayload = "AQVSWRI/yhKlAXFzs+QnzgTppyAE2Nr6p+nD/sUxRZ3gy9JN8gc8FHq8j1G97C+O5+pSNWcLNTQTaP7xkOsxQag=";
}
