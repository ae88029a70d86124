// RFC 9420 §2.1 (TLS presentation language) and §2.1.2 (variable-size vector length headers).
using System.Buffers.Binary;

namespace Parley.Mls.Codec;

/// <summary>Reads MLS structures from bytes. Every length is checked against what remains;
/// any violation throws <see cref="MlsDecodeException"/>.</summary>
public sealed class TlsReader
{
    private readonly ReadOnlyMemory<byte> _data;
    private int _position;

    public TlsReader(ReadOnlyMemory<byte> data) => _data = data;

    /// <summary>Bytes not yet read.</summary>
    public int Remaining => _data.Length - _position;

    /// <summary>Current offset from the start of the input.</summary>
    public int Position => _position;

    /// <summary>True when all input has been consumed.</summary>
    public bool AtEnd => _position == _data.Length;

    /// <summary>The input bytes from <paramref name="start"/> up to the current position.</summary>
    public ReadOnlyMemory<byte> Consumed(int start) => _data[start.._position];

    /// <summary>Decodes exactly one value with <paramref name="read"/>; trailing bytes are an error.</summary>
    public static T Decode<T>(ReadOnlyMemory<byte> data, Func<TlsReader, T> read)
    {
        var r = new TlsReader(data);
        var value = read(r);
        r.EnsureEnd();
        return value;
    }

    /// <summary>Throws unless every byte has been read.</summary>
    public void EnsureEnd()
    {
        if (!AtEnd)
        {
            throw new MlsDecodeException($"{Remaining} unexpected trailing bytes.");
        }
    }

    private ReadOnlySpan<byte> Take(int count)
    {
        if (count < 0 || count > Remaining)
        {
            throw new MlsDecodeException($"Truncated input: needed {count} bytes, {Remaining} remain.");
        }
        var span = _data.Span.Slice(_position, count);
        _position += count;
        return span;
    }

    private ReadOnlyMemory<byte> TakeMemory(int count)
    {
        if (count < 0 || count > Remaining)
        {
            throw new MlsDecodeException($"Truncated input: needed {count} bytes, {Remaining} remain.");
        }
        var mem = _data.Slice(_position, count);
        _position += count;
        return mem;
    }

    public byte ReadUInt8() => Take(1)[0];

    public bool ReadBool() => ReadUInt8() switch
    {
        0 => false,
        1 => true,
        var b => throw new MlsDecodeException($"Invalid boolean octet {b}."),
    };

    public ushort ReadUInt16() => BinaryPrimitives.ReadUInt16BigEndian(Take(2));

    public uint ReadUInt32() => BinaryPrimitives.ReadUInt32BigEndian(Take(4));

    public ulong ReadUInt64() => BinaryPrimitives.ReadUInt64BigEndian(Take(8));

    /// <summary>Reads <paramref name="count"/> raw bytes into a new array.</summary>
    public byte[] ReadBytes(int count) => Take(count).ToArray();

    /// <summary>Reads a variable-length integer; non-minimal encodings and the reserved
    /// two-bit prefix 0b11 are rejected as RFC 9420 §2.1.2 requires.</summary>
    public uint ReadVarint()
    {
        if (Remaining < 1)
        {
            throw new MlsDecodeException("Truncated input: missing a variable-length integer.");
        }
        byte first = _data.Span[_position];
        int prefix = first >> 6;
        switch (prefix)
        {
            case 0:
                _position++;
                return first;
            case 1:
            {
                uint v = (uint)(ReadUInt16() & 0x3FFF);
                if (v < 0x40)
                {
                    throw new MlsDecodeException("Variable-length integer is not minimally encoded.");
                }
                return v;
            }
            case 2:
            {
                uint v = ReadUInt32() & 0x3FFF_FFFF;
                if (v < 0x4000)
                {
                    throw new MlsDecodeException("Variable-length integer is not minimally encoded.");
                }
                return v;
            }
            default:
                throw new MlsDecodeException("Variable-length integer uses the reserved 0b11 prefix.");
        }
    }

    /// <summary>Reads <c>opaque data&lt;V&gt;</c> into a new array.</summary>
    public byte[] ReadOpaque() => Take(checked((int)ReadVarint())).ToArray();

    /// <summary>Reads <c>opaque data&lt;V&gt;</c> without copying.</summary>
    public ReadOnlyMemory<byte> ReadOpaqueMemory() => TakeMemory(checked((int)ReadVarint()));

    /// <summary>Reads a vector: a varint byte length, then a body read completely by <paramref name="body"/>.</summary>
    public T ReadVector<T>(Func<TlsReader, T> body)
    {
        var inner = new TlsReader(ReadOpaqueMemory());
        var value = body(inner);
        inner.EnsureEnd();
        return value;
    }

    /// <summary>Reads a vector of items until its body is exhausted.</summary>
    public List<T> ReadList<T>(Func<TlsReader, T> item)
        => ReadVector(inner =>
        {
            var list = new List<T>();
            while (!inner.AtEnd)
            {
                list.Add(item(inner));
            }
            return list;
        });

    /// <summary>Reads <c>optional&lt;T&gt;</c>.</summary>
    public T? ReadOptional<T>(Func<TlsReader, T> item) where T : class
        => ReadBool() ? item(this) : null;
}
