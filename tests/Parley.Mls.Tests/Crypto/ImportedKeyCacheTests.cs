// RFC 9420 §5.1.2: imported signature keys are reused between signatures and verifications; the cache
// must stay bounded, release what it drops, and never hand one imported key to two users at once.
using Parley.Mls.Crypto;
using Xunit;

namespace Parley.Mls.Tests.Crypto;

public sealed class ImportedKeyCacheTests
{
    public static TheoryData<ushort> Suites() => new(CipherSuite.Supported);

    [Fact]
    public void A_returned_key_is_found_again_by_its_private_key()
    {
        var cache = new ImportedKeyCache<Handle>(h => h.Released = true);
        var lease = cache.Take("key one"u8);
        Assert.Null(lease.Item);
        var imported = new Handle();
        cache.Return(lease, imported);

        var again = cache.Take("key one"u8);
        Assert.Same(imported, again.Item);
        Assert.Null(cache.Take("key one"u8).Item); // leased out: a second caller imports its own
        Assert.Null(cache.Take("key two"u8).Item);
        cache.Return(again, imported);
        Assert.False(imported.Released);
    }

    [Fact]
    public void The_least_recently_used_key_is_released_when_the_cache_is_full()
    {
        var cache = new ImportedKeyCache<Handle>(h => h.Released = true);
        var handles = new Handle[ImportedKeyCache<Handle>.DefaultCapacity + 1];
        for (int i = 0; i < handles.Length; i++)
        {
            handles[i] = new Handle();
            cache.Return(cache.Take(new[] { (byte)i }), handles[i]);
            if (i == 1)
            {
                cache.Return(cache.Take(new byte[] { 0 }), handles[0]); // key 0 used again: key 1 is now oldest
            }
        }

        Assert.True(handles[1].Released);
        Assert.Equal(1, handles.Count(h => h.Released));
        Assert.Equal(ImportedKeyCache<Handle>.DefaultCapacity, cache.Count);
        Assert.Same(handles[0], cache.Take(new byte[] { 0 }).Item);
    }

    [Fact]
    public void A_second_import_of_the_same_key_is_released_instead_of_kept_twice()
    {
        var cache = new ImportedKeyCache<Handle>(h => h.Released = true);
        var first = cache.Take("key"u8);
        var second = cache.Take("key"u8);
        Handle a = new(), b = new();
        cache.Return(first, a);
        cache.Return(second, b);

        Assert.False(a.Released);
        Assert.True(b.Released);
        Assert.Equal(1, cache.Count);
    }

    [Fact]
    public void Clearing_releases_held_keys_and_keys_leased_out_when_they_come_back()
    {
        var cache = new ImportedKeyCache<Handle>(h => h.Released = true);
        Handle held = new(), leased = new();
        cache.Return(cache.Take("held"u8), held);
        var lease = cache.Take("leased"u8);

        cache.Clear();
        Assert.True(held.Released);
        cache.Return(lease, leased);

        Assert.True(leased.Released);
        Assert.Equal(0, cache.Count);
        Assert.Null(cache.Take("held"u8).Item);
    }

    [Theory]
    [MemberData(nameof(Suites))]
    public void Signing_with_more_keys_than_the_cache_holds_verifies(ushort id)
    {
        CipherSuite suite = CipherSuite.Get(id);
        var keys = Enumerable.Range(0, ImportedKeyCache<object>.DefaultCapacity + 4).Select(_ => suite.GenerateSignatureKeyPair()).ToArray();
        for (int round = 0; round < 2; round++)
        {
            foreach (var key in keys)
            {
                Assert.True(suite.Verify(key.PublicKey, "m"u8, suite.Sign(key.PrivateKey, "m"u8)));
            }
        }
    }

    [Theory]
    [MemberData(nameof(Suites))]
    public void Concurrent_signing_with_one_key_verifies(ushort id)
    {
        CipherSuite suite = CipherSuite.Get(id);
        SignatureKeyPair key = suite.GenerateSignatureKeyPair();
        var results = new bool[64];

        Parallel.For(0, results.Length, i =>
        {
            byte[] message = BitConverter.GetBytes(i);
            results[i] = suite.VerifyWithLabel(key.PublicKey, "Test", message, suite.SignWithLabel(key.PrivateKey, "Test", message));
        });

        Assert.All(results, Assert.True);
    }

    [Fact]
    public void Signing_still_works_after_the_cache_is_cleared()
    {
        foreach (ushort id in CipherSuite.Supported)
        {
            CipherSuite suite = CipherSuite.Get(id);
            SignatureKeyPair key = suite.GenerateSignatureKeyPair();
            Assert.True(suite.Verify(key.PublicKey, "m"u8, suite.Sign(key.PrivateKey, "m"u8)));
            CipherSuite.ClearSignatureKeyCaches();
            Assert.True(suite.Verify(key.PublicKey, "m"u8, suite.Sign(key.PrivateKey, "m"u8)));
        }
    }

    private sealed class Handle
    {
        public bool Released { get; set; }
    }
}
