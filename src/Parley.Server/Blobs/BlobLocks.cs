using System.Collections.Concurrent;

namespace Parley.Server.Blobs;

/// <summary>One writer per blob at a time on this node: a chunk upload, an early delete or the
/// expiry sweep. Nobody waits — a second upload to the same blob is told to retry — so a stalled
/// client cannot queue work behind it.</summary>
public sealed class BlobLocks
{
    private readonly ConcurrentDictionary<BlobKey, byte> _held = new();

    /// <summary>Takes the blob's lock if it is free; dispose the lease to release it.</summary>
    public bool TryAcquire(BlobKey key, out Lease lease)
    {
        bool taken = _held.TryAdd(key, 0);
        lease = taken ? new Lease(this, key) : default;
        return taken;
    }

    /// <summary>A held blob lock.</summary>
    public readonly struct Lease(BlobLocks owner, BlobKey key) : IDisposable
    {
        public void Dispose() => owner?._held.TryRemove(key, out _);
    }
}
