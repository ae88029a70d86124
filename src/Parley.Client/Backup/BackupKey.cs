// The backup key: 256 random bits, shown once as 52 Crockford base32 characters in 13 groups of 4 for copying by hand.
using System.Security.Cryptography;
using System.Text;

namespace Parley.Client.Backup;

/// <summary>A backup key: 32 random bytes that encrypt one backup file. It is shown to the person once and never
/// leaves the device otherwise; its text form is Crockford base32 (no I, L, O, U; case, spaces and dashes ignored
/// when read back). Dispose to wipe it.</summary>
public sealed class BackupKey : IDisposable
{
    /// <summary>The key's length in bytes.</summary>
    public const int Size = 32;

    private const string Alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    private const int Characters = 52; // ceil(256 / 5)
    private const int GroupLength = 4;

    private readonly byte[] _bytes;

    private BackupKey(byte[] bytes) => _bytes = bytes;

    /// <summary>A fresh random key.</summary>
    public static BackupKey Generate() => new(RandomNumberGenerator.GetBytes(Size));

    /// <summary>A key of the given 32 bytes (copied); for tests and tools that need a fixed key.</summary>
    internal static BackupKey FromBytes(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length != Size)
        {
            throw new ArgumentException("A backup key is 32 bytes.", nameof(bytes));
        }
        return new BackupKey(bytes.ToArray());
    }

    /// <summary>Reads a key as <see cref="ToDisplayString"/> writes it; throws <see cref="FormatException"/> for
    /// anything else.</summary>
    public static BackupKey Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        byte[] bytes = new byte[Size];
        int bits = 0, accumulator = 0, written = 0, read = 0;
        foreach (char raw in text)
        {
            if (raw is ' ' or '-' or '\t')
            {
                continue;
            }
            int value = ValueOf(raw);
            if (value < 0 || ++read > Characters)
            {
                throw new FormatException($"A backup key is {Characters} characters of 0-9 and A-Z (without I, L, O, U).");
            }
            accumulator = (accumulator << 5) | value;
            bits += 5;
            if (bits >= 8 && written < Size)
            {
                bits -= 8;
                bytes[written++] = (byte)(accumulator >> bits);
                accumulator &= (1 << bits) - 1;
            }
        }
        // 52 characters carry 260 bits: the last 4 are zero in a key this code wrote.
        if (read != Characters || accumulator != 0)
        {
            CryptographicOperations.ZeroMemory(bytes);
            throw new FormatException($"A backup key is {Characters} characters of 0-9 and A-Z (without I, L, O, U); check what you copied.");
        }
        return new BackupKey(bytes);
    }

    /// <summary>The key as 13 groups of 4 characters separated by dashes: show it once, to be written down.</summary>
    public string ToDisplayString()
    {
        var text = new StringBuilder(Characters + Characters / GroupLength);
        int bits = 0, accumulator = 0, count = 0;
        void Emit(int value)
        {
            if (count > 0 && count % GroupLength == 0)
            {
                text.Append('-');
            }
            text.Append(Alphabet[value]);
            count++;
        }
        foreach (byte b in _bytes)
        {
            accumulator = (accumulator << 8) | b;
            bits += 8;
            while (bits >= 5)
            {
                bits -= 5;
                Emit((accumulator >> bits) & 31);
            }
            accumulator &= (1 << bits) - 1;
        }
        Emit((accumulator << (5 - bits)) & 31);
        return text.ToString();
    }

    internal ReadOnlySpan<byte> Bytes => _bytes;

    private static int ValueOf(char c)
    {
        c = char.ToUpperInvariant(c);
        return c switch
        {
            'O' => 0,
            'I' or 'L' => 1,
            _ => Alphabet.IndexOf(c, StringComparison.Ordinal),
        };
    }

    /// <summary>Wipes the key.</summary>
    public void Dispose() => CryptographicOperations.ZeroMemory(_bytes);

    /// <summary>Never the key itself.</summary>
    public override string ToString() => "BackupKey";
}
