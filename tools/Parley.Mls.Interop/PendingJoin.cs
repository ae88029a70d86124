// RFC 9420 §10 and §12.4.3.1: a key package that was handed out and waits for the Welcome that uses it.
using Parley.Mls.Group;

namespace Parley.Mls.Interop;

/// <summary>A pending join (the harness's "transaction"): the key package with its private keys, and
/// the external PSKs stored for it before the Welcome arrives.</summary>
public sealed class PendingJoin(KeyPackageBundle bundle) : IDisposable
{
    private bool _psksTaken;

    /// <summary>The key package and its private keys.</summary>
    public KeyPackageBundle Bundle { get; } = bundle;

    /// <summary>External PSKs the Welcome may need (StorePSK on the transaction id).</summary>
    public PskStore Psks { get; } = new();

    /// <summary>Hands the PSK store to the group state created from this join.</summary>
    public PskStore TakePsks()
    {
        _psksTaken = true;
        return Psks;
    }

    public void Dispose()
    {
        Bundle.Dispose();
        if (!_psksTaken)
        {
            Psks.Dispose();
        }
    }

    public override string ToString() => $"PendingJoin(suite {Bundle.Suite.Id})";
}
