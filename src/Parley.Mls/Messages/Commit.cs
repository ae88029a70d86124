// RFC 9420 §12.4 (Commit).
using Parley.Mls.Codec;

namespace Parley.Mls.Messages;

/// <summary>Applies <paramref name="Proposals"/> and, with <paramref name="Path"/>, refreshes the
/// committer's path through the tree, starting a new epoch.</summary>
public sealed record Commit(IReadOnlyList<ProposalOrRef> Proposals, UpdatePath? Path) : IMlsEncodable
{
    public void Encode(TlsWriter writer)
    {
        writer.WriteVector(Proposals, static (w, p) => p.Encode(w));
        writer.WriteOptional(Path, static (w, p) => p.Encode(w));
    }

    public static Commit Decode(TlsReader reader)
        => new(reader.ReadList(ProposalOrRef.Decode), reader.ReadOptional(UpdatePath.Decode));

    public bool Equals(Commit? other)
        => other is not null && StructuralEquality.Lists(Proposals, other.Proposals) && Equals(Path, other.Path);

    public override int GetHashCode() => HashCode.Combine(Proposals.Count, Path is null);
}
