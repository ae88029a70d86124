using Parley.Client.Identity;
using Parley.Client.Storage;
using Xunit;

namespace Parley.Client.Tests;

public sealed class ContactPinningTests : IDisposable
{
    private static readonly byte[] FirstKey = Enumerable.Repeat((byte)1, 32).ToArray();
    private static readonly byte[] SecondKey = Enumerable.Repeat((byte)2, 32).ToArray();
    private readonly TempStore _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void The_first_key_seen_is_pinned()
    {
        using var store = _temp.Create();
        var contact = store.CheckIdentityKey("Bob", FirstKey);
        Assert.Equal("bob", contact.Username);
        Assert.Equal(FirstKey, contact.IdentityKey);
        Assert.False(contact.Verified);
        Assert.False(contact.IdentityChanged);
        Assert.Equal(_temp.Clock.Now, contact.FirstSeenAt);
        Assert.Equal(contact, store.CheckIdentityKey("bob", FirstKey));
    }

    [Fact]
    public void A_changed_key_is_refused_until_accepted_and_the_refusal_survives_a_restart()
    {
        using (var store = _temp.Create())
        {
            store.CheckIdentityKey("bob", FirstKey);
            var error = Assert.Throws<IdentityKeyChangedException>(() => store.CheckIdentityKey("bob", SecondKey));
            Assert.Equal("bob", error.Username);
            Assert.Contains("safety numbers", error.Message, StringComparison.Ordinal);
        }
        using (var store = _temp.Open())
        {
            var contact = store.GetContact("bob")!;
            Assert.True(contact.IdentityChanged);
            Assert.Equal(FirstKey, contact.IdentityKey);
            Assert.Equal(SecondKey, contact.PendingIdentityKey);
            Assert.Throws<IdentityKeyChangedException>(() => store.CheckIdentityKey("bob", SecondKey));

            var accepted = store.AcceptIdentityKeyChange("bob");
            Assert.Equal(SecondKey, accepted.IdentityKey);
            Assert.False(accepted.IdentityChanged);
            Assert.Null(accepted.PendingIdentityKey);
            Assert.Equal(accepted, store.CheckIdentityKey("bob", SecondKey));
            Assert.Throws<IdentityKeyChangedException>(() => store.CheckIdentityKey("bob", FirstKey));
        }
    }

    [Fact]
    public void Verifying_marks_verified_and_a_key_change_clears_it()
    {
        using var store = _temp.Create();
        store.CheckIdentityKey("bob", FirstKey);
        Assert.True(store.MarkVerified("bob", FirstKey).Verified);
        Assert.True(store.GetContact("bob")!.Verified);

        Assert.Throws<IdentityKeyChangedException>(() => store.CheckIdentityKey("bob", SecondKey));
        Assert.False(store.GetContact("bob")!.Verified);
        // Verifying while a change is pending is refused: the user must accept the new key first.
        Assert.Throws<IdentityKeyChangedException>(() => store.MarkVerified("bob", FirstKey));
        store.AcceptIdentityKeyChange("bob");
        Assert.False(store.GetContact("bob")!.Verified);
        Assert.True(store.MarkVerified("bob", SecondKey).Verified);
    }

    [Fact]
    public void Verifying_a_key_that_is_not_the_pinned_one_is_refused()
    {
        using var store = _temp.Create();
        store.CheckIdentityKey("bob", FirstKey);
        Assert.Throws<IdentityKeyChangedException>(() => store.MarkVerified("bob", SecondKey));
        Assert.Throws<InvalidOperationException>(() => store.MarkVerified("carol", FirstKey));
        Assert.Throws<InvalidOperationException>(() => store.AcceptIdentityKeyChange("bob"));
    }

    [Fact]
    public void The_safety_number_with_a_contact_uses_the_pinned_key()
    {
        using var store = _temp.Create();
        var identity = StoreData.NewIdentity(store.Time);
        using (var transaction = store.BeginTransaction())
        {
            transaction.SaveIdentity(identity);
            transaction.Commit();
        }
        store.CheckIdentityKey("bob", FirstKey);
        var expected = SafetyNumber.Compute("bob", FirstKey, "alice", identity.AccountIdentityPublicKey);
        Assert.Equal(expected.Digits, store.SafetyNumberWith("bob").Digits);
    }
}
