// RFC 9420 §6.3 and §9.2: a receiver deletes a ratchet key once it has decrypted the message
// sent with it. A copy that fails to authenticate has not been decrypted, so its key must stay.
using System.Runtime.CompilerServices;
using Parley.Mls.KeySchedule;
using Parley.Mls.Tree;

namespace Parley.Mls.Framing;

/// <summary>Keys taken from a <see cref="SecretTree"/> for a PrivateMessage whose content then failed
/// to authenticate, held beside that tree so the genuine message of that generation still decrypts.
/// <see cref="SecretTree.GetForReceiving"/> consumes the key it returns; this gives it back.</summary>
/// <remarks>At most <see cref="MaxHeldPerTree"/> keys per tree are held, oldest evicted first, so a
/// flood of forgeries cannot grow memory. Access follows the tree's: one caller at a time. A held
/// key is not wiped when its tree is disposed, only when taken or evicted. What this cannot undo:
/// a forged generation far ahead still ratchets the tree forward, which may evict retained keys of
/// older skipped generations; a non-consuming lookup in <see cref="SecretTree"/> would remove both
/// limits and this class.</remarks>
internal static class UnconfirmedKeys
{
    /// <summary>How many failed generations are remembered per secret tree.</summary>
    public const int MaxHeldPerTree = 64;

    private static readonly ConditionalWeakTable<SecretTree, List<(LeafIndex Leaf, RatchetType Type, RatchetKey Key)>> Held = new();

    /// <summary>Removes and returns the held key for the generation, or null when none is held.</summary>
    public static RatchetKey? Take(SecretTree tree, LeafIndex leaf, RatchetType type, uint generation)
    {
        if (!Held.TryGetValue(tree, out var keys))
        {
            return null;
        }
        for (int i = 0; i < keys.Count; i++)
        {
            var (l, t, key) = keys[i];
            if (l == leaf && t == type && key.Generation == generation)
            {
                keys.RemoveAt(i);
                return key;
            }
        }
        return null;
    }

    /// <summary>Holds <paramref name="key"/> (taking ownership) until a message of its generation
    /// authenticates or it is evicted.</summary>
    public static void Hold(SecretTree tree, LeafIndex leaf, RatchetType type, RatchetKey key)
    {
        var keys = Held.GetOrCreateValue(tree);
        if (keys.Count >= MaxHeldPerTree)
        {
            keys[0].Key.Dispose();
            keys.RemoveAt(0);
        }
        keys.Add((leaf, type, key));
    }
}
