// RFC 9420 §12.1 (proposals are cached by ProposalRef until the next Commit) and §5.2 (ProposalRef).
using System.Security.Cryptography;
using Parley.Mls.Codec;
using Parley.Mls.Messages;

namespace Parley.Mls.Group;

/// <summary>A proposal received (or sent) during the current epoch, kept so that a Commit can
/// include it by reference.</summary>
/// <param name="Ref">The ProposalRef: RefHash("MLS 1.0 Proposal Reference", AuthenticatedContent).</param>
/// <param name="Proposal">The proposal.</param>
/// <param name="Sender">Who sent it; a proposal's meaning (an Update's leaf) depends on its sender.</param>
public sealed record CachedProposal(byte[] Ref, Proposal Proposal, Sender Sender)
{
    public bool Equals(CachedProposal? other)
        => other is not null && Ref.AsSpan().SequenceEqual(other.Ref) && Proposal.Equals(other.Proposal) && Sender.Equals(other.Sender);

    public override int GetHashCode() => HashCode.Combine(Ref.Length, Proposal.Type);
}

/// <summary>The proposals of the current epoch by ProposalRef, in arrival order. For Update proposals
/// this member sent itself, the cache also holds the new leaf's encryption private key, which it
/// needs if another member commits the Update. Emptied when the epoch changes.</summary>
internal sealed class ProposalCache : IDisposable
{
    private readonly List<CachedProposal> _entries = new();
    private readonly Dictionary<string, int> _byRef = new(StringComparer.Ordinal);
    private readonly Dictionary<string, byte[]> _updateKeys = new(StringComparer.Ordinal);

    public int Count => _entries.Count;

    public IReadOnlyList<CachedProposal> Entries => _entries;

    /// <summary>Adds a proposal; a repeated reference keeps the first copy.</summary>
    public void Add(CachedProposal proposal, byte[]? updateEncryptionPrivateKey = null)
    {
        string key = Convert.ToHexString(proposal.Ref);
        if (_byRef.ContainsKey(key))
        {
            if (updateEncryptionPrivateKey is not null)
            {
                CryptographicOperations.ZeroMemory(updateEncryptionPrivateKey);
            }
            return;
        }
        _byRef[key] = _entries.Count;
        _entries.Add(proposal);
        if (updateEncryptionPrivateKey is not null)
        {
            _updateKeys[key] = updateEncryptionPrivateKey;
        }
    }

    public CachedProposal? Find(ReadOnlySpan<byte> proposalRef)
        => _byRef.TryGetValue(Convert.ToHexString(proposalRef), out int i) ? _entries[i] : null;

    /// <summary>The encryption private key of an Update this member sent, or null.</summary>
    public byte[]? FindUpdateKey(ReadOnlySpan<byte> proposalRef)
        => _updateKeys.TryGetValue(Convert.ToHexString(proposalRef), out byte[]? key) ? key : null;

    /// <summary>A deep copy (the private keys are copied too).</summary>
    public ProposalCache Clone()
    {
        var copy = new ProposalCache();
        foreach (var e in _entries)
        {
            string key = Convert.ToHexString(e.Ref);
            copy.Add(e, _updateKeys.TryGetValue(key, out byte[]? k) ? (byte[])k.Clone() : null);
        }
        return copy;
    }

    /// <summary>Forgets every proposal (at an epoch change), zeroing held private keys.</summary>
    public void Clear()
    {
        foreach (byte[] key in _updateKeys.Values)
        {
            CryptographicOperations.ZeroMemory(key);
        }
        _updateKeys.Clear();
        _entries.Clear();
        _byRef.Clear();
    }

    public void Dispose() => Clear();

    /// <summary>Writes the cache for persisted group state (holds private keys: clear the writer after).</summary>
    public void Encode(TlsWriter writer)
    {
        writer.WriteVector(_entries, (w, e) =>
        {
            w.WriteOpaque(e.Ref);
            e.Sender.Encode(w);
            e.Proposal.Encode(w);
            byte[]? key = _updateKeys.GetValueOrDefault(Convert.ToHexString(e.Ref));
            w.WriteBool(key is not null);
            if (key is not null)
            {
                w.WriteOpaque(key);
            }
        });
    }

    public static ProposalCache Decode(TlsReader reader)
    {
        var cache = new ProposalCache();
        reader.ReadVector(r =>
        {
            while (!r.AtEnd)
            {
                byte[] proposalRef = r.ReadOpaque();
                var sender = Sender.Decode(r);
                var proposal = Proposal.Decode(r);
                byte[]? key = r.ReadBool() ? r.ReadOpaque() : null;
                cache.Add(new CachedProposal(proposalRef, proposal, sender), key);
            }
            return true;
        });
        return cache;
    }
}
