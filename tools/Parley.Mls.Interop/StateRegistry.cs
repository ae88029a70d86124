// The interop harness names group states, pending joins and reinitializations by small integers
// (state_id, transaction_id, reinit_id). One counter serves all, so StorePSK's state_or_transaction_id is
// never ambiguous.
using System.Collections.Concurrent;

namespace Parley.Mls.Interop;

/// <summary>Thrown when a request names a state or transaction id this server does not hold.</summary>
public sealed class InteropStateNotFoundException(string message) : Exception(message);

/// <summary>Holds every live group state, pending join and reinitialization of the server, by id.</summary>
public sealed class StateRegistry : IDisposable
{
    private readonly ConcurrentDictionary<uint, IDisposable> _entries = new();
    private int _lastId;

    /// <summary>Stores a group state under a fresh id.</summary>
    public uint AddState(MemberState state) => Add(state);

    /// <summary>Stores a pending join (a key package waiting for its Welcome) under a fresh id.</summary>
    public uint AddTransaction(PendingJoin join) => Add(join);

    /// <summary>Stores a reinitialization in progress under a fresh id (the harness's reinit_id).</summary>
    public uint AddReInit(PendingReInit reInit) => Add(reInit);

    /// <summary>The group state named <paramref name="stateId"/>.</summary>
    public MemberState GetState(uint stateId)
        => _entries.TryGetValue(stateId, out var entry) && entry is MemberState state
            ? state
            : throw new InteropStateNotFoundException($"There is no group state {stateId}.");

    /// <summary>The pending join named <paramref name="transactionId"/>.</summary>
    public PendingJoin GetTransaction(uint transactionId)
        => _entries.TryGetValue(transactionId, out var entry) && entry is PendingJoin join
            ? join
            : throw new InteropStateNotFoundException($"There is no pending join (transaction) {transactionId}.");

    /// <summary>The reinitialization named <paramref name="reInitId"/>.</summary>
    public PendingReInit GetReInit(uint reInitId)
        => _entries.TryGetValue(reInitId, out var entry) && entry is PendingReInit reInit
            ? reInit
            : throw new InteropStateNotFoundException($"There is no reinitialization in progress with id {reInitId}.");

    /// <summary>The PSK store of a group state or of a pending join.</summary>
    public Parley.Mls.Group.PskStore GetPskStore(uint stateOrTransactionId)
        => _entries.TryGetValue(stateOrTransactionId, out var entry)
            ? entry switch
            {
                MemberState state => state.Psks,
                PendingJoin join => join.Psks,
                _ => throw new InteropStateNotFoundException($"Id {stateOrTransactionId} names a reinitialization, not a state or transaction."),
            }
            : throw new InteropStateNotFoundException($"There is no state or transaction {stateOrTransactionId}.");

    /// <summary>Forgets a pending join once it has been used.</summary>
    public void RemoveTransaction(uint transactionId) => Remove(transactionId);

    /// <summary>Forgets a reinitialization once its member created or joined the new group.</summary>
    public void RemoveReInit(uint reInitId) => Remove(reInitId);

    private void Remove(uint id)
    {
        if (_entries.TryRemove(id, out var entry))
        {
            entry.Dispose();
        }
    }

    /// <summary>Forgets a group state and wipes its secrets; unknown ids are ignored.</summary>
    public void Free(uint stateId)
    {
        if (_entries.TryGetValue(stateId, out var entry) && entry is MemberState && _entries.TryRemove(stateId, out entry))
        {
            entry.Dispose();
        }
    }

    public void Dispose()
    {
        foreach (uint id in _entries.Keys)
        {
            if (_entries.TryRemove(id, out var entry))
            {
                entry.Dispose();
            }
        }
    }

    private uint Add(IDisposable entry)
    {
        uint id = unchecked((uint)Interlocked.Increment(ref _lastId));
        _entries[id] = entry;
        return id;
    }
}
