// RFC 9420 §12.4.3.3 (ratchet_tree extension: optional<Node> ratchet_tree<V>).
using Parley.Mls.Codec;

namespace Parley.Mls.Messages;

/// <summary>The public ratchet tree as a vector of optional nodes in array order (null = blank),
/// without the blank nodes after the last non-blank one.</summary>
public static class RatchetTreeExtension
{
    /// <summary>Writes <c>optional&lt;Node&gt; ratchet_tree&lt;V&gt;</c>.</summary>
    public static void Encode(TlsWriter writer, IReadOnlyList<Node?> nodes)
        => writer.WriteVector(nodes, static (w, n) => w.WriteOptional(n, static (w2, x) => x.Encode(w2)));

    /// <summary>Returns the encoding of <paramref name="nodes"/>, for the data of an extension.</summary>
    public static byte[] Encode(IReadOnlyList<Node?> nodes) => TlsWriter.Encode(w => Encode(w, nodes));

    /// <summary>Reads a ratchet tree; an empty tree or one whose last node is blank is rejected
    /// (RFC 9420 §12.4.3.3: "The receiver MUST check that the last node in ratchet_tree is non-blank").</summary>
    public static List<Node?> Decode(TlsReader reader)
    {
        var nodes = reader.ReadList(static r => r.ReadOptional(Node.Decode));
        if (nodes.Count == 0 || nodes[^1] is null)
        {
            throw new MlsDecodeException("A ratchet tree must end with a non-blank node.");
        }
        return nodes;
    }

    /// <summary>Decodes exactly one ratchet tree from <paramref name="data"/>.</summary>
    public static List<Node?> Decode(ReadOnlyMemory<byte> data) => TlsReader.Decode(data, Decode);
}
