// RFC 9420 §12.4.3.1 (joining via Welcome: PathSecret and GroupSecrets).
using Parley.Mls.Codec;

namespace Parley.Mls.Messages;

/// <summary>A path secret sent to a new member: the secret of the lowest node shared by the
/// committer's and the new member's direct paths.</summary>
public sealed record PathSecret(byte[] Secret) : IMlsEncodable
{
    public void Encode(TlsWriter writer) => writer.WriteOpaque(Secret);

    public static PathSecret Decode(TlsReader reader) => new(reader.ReadOpaque());

    public bool Equals(PathSecret? other) => other is not null && StructuralEquality.Bytes(Secret, other.Secret);

    public override int GetHashCode() => Secret.Length;

    public override string ToString() => "PathSecret(secret)";
}

/// <summary>What a Welcome encrypts to each new member: the joiner secret, an optional path
/// secret, and the PSKs the new epoch uses.</summary>
public sealed record GroupSecrets(byte[] JoinerSecret, PathSecret? PathSecret, IReadOnlyList<PreSharedKeyId> Psks) : IMlsEncodable
{
    public void Encode(TlsWriter writer)
    {
        writer.WriteOpaque(JoinerSecret);
        writer.WriteOptional(PathSecret, static (w, p) => p.Encode(w));
        writer.WriteVector(Psks, static (w, p) => p.Encode(w));
    }

    public static GroupSecrets Decode(TlsReader reader)
        => new(reader.ReadOpaque(), reader.ReadOptional(PathSecret.Decode), reader.ReadList(PreSharedKeyId.Decode));

    public bool Equals(GroupSecrets? other)
        => other is not null
           && StructuralEquality.Bytes(JoinerSecret, other.JoinerSecret)
           && Equals(PathSecret, other.PathSecret)
           && StructuralEquality.Lists(Psks, other.Psks);

    public override int GetHashCode() => HashCode.Combine(JoinerSecret.Length, Psks.Count);

    public override string ToString() => $"GroupSecrets(path secret {(PathSecret is null ? "absent" : "present")}, {Psks.Count} PSKs)";
}
