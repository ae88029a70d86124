// RFC 9420 §2.1 (TLS presentation language) and §2.1.2 (variable-size vector length headers).
using System.Buffers;
using System.Buffers.Binary;

namespace Parley.Mls.Codec;

/// <summary>Serializes MLS structures: fixed-width big-endian integers and vectors whose
/// length is a QUIC-style variable-length integer (at most 2^30 - 1).</summary>
public sealed class TlsWriter
{
    /// <summary>The largest length a variable-length vector header can carry.</summary>
    public const uint MaxVarint = (1u << 30) - 1;

    private byte[] _buffer;
    private int _length;
    private readonly bool _pooled;

    public TlsWriter(int capacity = 256) => _buffer = new byte[Math.Max(16, capacity)];

    private TlsWriter(byte[] rented)
    {
        _buffer = rented;
        _pooled = true;
    }

    /// <summary>A writer over a buffer rented from <see cref="ArrayPool{T}.Shared"/>, for large encodings that
    /// are used and dropped (a message to sign or fingerprint): give it back with <see cref="Release"/>.</summary>
    public static TlsWriter Pooled(int capacity) => new(ArrayPool<byte>.Shared.Rent(Math.Max(16, capacity)));

    /// <summary>Number of bytes written so far.</summary>
    public int Length => _length;

    /// <summary>The bytes written so far, without copying.</summary>
    public ReadOnlySpan<byte> WrittenSpan => _buffer.AsSpan(0, _length);

    /// <summary>The bytes written so far, writable in place (to fill a gap reserved with <see cref="Skip"/>).</summary>
    internal Span<byte> Written => _buffer.AsSpan(0, _length);

    /// <summary>Returns a copy of the bytes written.</summary>
    public byte[] ToArray() => _buffer.AsSpan(0, _length).ToArray();

    /// <summary>Returns the bytes written: the writer's own buffer when they fill it exactly (the writer was
    /// sized for them; it must not be written to afterwards), otherwise a copy.</summary>
    public byte[] ToArrayOrDetach() => !_pooled && _length == _buffer.Length ? _buffer : ToArray();

    /// <summary>Advances over <paramref name="count"/> zero bytes, to be filled in later through <see cref="Written"/>.</summary>
    internal void Skip(int count) => Grow(count).Clear();

    /// <summary>Gives a <see cref="Pooled"/> writer's buffer back, wiping what was written first unless
    /// <paramref name="wipe"/> is false (the bytes were public). The writer is empty afterwards.</summary>
    public void Release(bool wipe = true)
    {
        if (!_pooled)
        {
            throw new InvalidOperationException("Only a pooled writer is released.");
        }
        if (wipe)
        {
            System.Security.Cryptography.CryptographicOperations.ZeroMemory(_buffer.AsSpan(0, _length));
        }
        if (_buffer.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(_buffer);
        }
        _buffer = [];
        _length = 0;
    }

    /// <summary>Encodes one value with <paramref name="write"/> and returns its bytes.</summary>
    public static byte[] Encode(Action<TlsWriter> write)
    {
        var w = new TlsWriter();
        write(w);
        return w.ToArray();
    }

    private Span<byte> Grow(int count)
    {
        if (_length + count > _buffer.Length)
        {
            int size = (int)Math.Min(Math.Max(_buffer.Length * 2L, _length + (long)count), Array.MaxLength);
            if (_pooled)
            {
                // The old buffer may hold secrets (a PrivateMessage's signed content): wiped before it goes back.
                byte[] larger = ArrayPool<byte>.Shared.Rent(size);
                _buffer.AsSpan(0, _length).CopyTo(larger);
                System.Security.Cryptography.CryptographicOperations.ZeroMemory(_buffer.AsSpan(0, _length));
                if (_buffer.Length > 0)
                {
                    ArrayPool<byte>.Shared.Return(_buffer);
                }
                _buffer = larger;
            }
            else
            {
                Array.Resize(ref _buffer, size);
            }
        }
        var span = _buffer.AsSpan(_length, count);
        _length += count;
        return span;
    }

    public void WriteUInt8(byte value) => Grow(1)[0] = value;

    public void WriteBool(bool value) => WriteUInt8(value ? (byte)1 : (byte)0);

    public void WriteUInt16(ushort value) => BinaryPrimitives.WriteUInt16BigEndian(Grow(2), value);

    public void WriteUInt32(uint value) => BinaryPrimitives.WriteUInt32BigEndian(Grow(4), value);

    public void WriteUInt64(ulong value) => BinaryPrimitives.WriteUInt64BigEndian(Grow(8), value);

    /// <summary>Writes raw bytes with no length prefix (fixed-size fields).</summary>
    public void WriteBytes(ReadOnlySpan<byte> bytes) => bytes.CopyTo(Grow(bytes.Length));

    /// <summary>Writes a variable-length integer in its shortest form (RFC 9420 §2.1.2).</summary>
    public void WriteVarint(uint value)
    {
        if (value < 0x40)
        {
            WriteUInt8((byte)value);
        }
        else if (value < 0x4000)
        {
            WriteUInt16((ushort)(0x4000 | value));
        }
        else if (value <= MaxVarint)
        {
            WriteUInt32(0x8000_0000 | value);
        }
        else
        {
            throw new ArgumentOutOfRangeException(nameof(value), "A vector length must be below 2^30.");
        }
    }

    /// <summary>The encoded length of <c>opaque data&lt;V&gt;</c> holding <paramref name="length"/> bytes.</summary>
    public static int OpaqueLength(int length) => (length < 0x40 ? 1 : length < 0x4000 ? 2 : 4) + length;

    /// <summary>Writes <c>opaque data&lt;V&gt;</c>: a varint length, then the bytes.</summary>
    public void WriteOpaque(ReadOnlySpan<byte> bytes)
    {
        WriteVarint((uint)bytes.Length);
        WriteBytes(bytes);
    }

    /// <summary>Writes a vector whose body is produced by <paramref name="body"/>, prefixed by
    /// its byte length as a varint.</summary>
    public void WriteVector(Action<TlsWriter> body)
    {
        // Reserve the longest header, write the body, then shift if a shorter header fits.
        int headerAt = _length;
        Grow(4);
        int bodyStart = _length;
        body(this);
        int bodyLength = _length - bodyStart;
        int headerSize = bodyLength < 0x40 ? 1 : bodyLength < 0x4000 ? 2 : 4;
        if (bodyLength > MaxVarint)
        {
            throw new InvalidOperationException("A vector body must be shorter than 2^30 bytes.");
        }
        if (headerSize != 4)
        {
            Buffer.BlockCopy(_buffer, bodyStart, _buffer, headerAt + headerSize, bodyLength);
            _length -= 4 - headerSize;
        }
        var header = _buffer.AsSpan(headerAt, headerSize);
        switch (headerSize)
        {
            case 1: header[0] = (byte)bodyLength; break;
            case 2: BinaryPrimitives.WriteUInt16BigEndian(header, (ushort)(0x4000 | bodyLength)); break;
            default: BinaryPrimitives.WriteUInt32BigEndian(header, 0x8000_0000 | (uint)bodyLength); break;
        }
    }

    /// <summary>Writes a vector of items, each encoded by <paramref name="item"/>.</summary>
    public void WriteVector<T>(IEnumerable<T> items, Action<TlsWriter, T> item)
        => WriteVector(w =>
        {
            foreach (var x in items)
            {
                item(w, x);
            }
        });

    /// <summary>Writes <c>optional&lt;T&gt;</c>: a presence octet, then the value if present.</summary>
    public void WriteOptional<T>(T? value, Action<TlsWriter, T> item) where T : class
    {
        WriteBool(value is not null);
        if (value is not null)
        {
            item(this, value);
        }
    }

    /// <summary>Writes an encodable MLS structure.</summary>
    public void Write(IMlsEncodable value) => value.Encode(this);

    /// <summary>Zeroes the buffer; used when the written bytes held a secret.</summary>
    public void Clear()
    {
        System.Security.Cryptography.CryptographicOperations.ZeroMemory(_buffer);
        _length = 0;
    }
}

/// <summary>An MLS structure that knows its own TLS encoding.</summary>
public interface IMlsEncodable
{
    void Encode(TlsWriter writer);

    /// <summary>How many bytes the encoding takes, exactly or as a guess to size a writer by (large messages
    /// know theirs, so encoding one allocates its bytes once instead of growing a buffer through every size).</summary>
    int EncodedLengthHint => 256;
}

/// <summary>Encoding helpers for any <see cref="IMlsEncodable"/>.</summary>
public static class MlsEncodableExtensions
{
    /// <summary>Returns the TLS encoding of <paramref name="value"/>.</summary>
    public static byte[] ToBytes(this IMlsEncodable value)
    {
        var w = new TlsWriter(value.EncodedLengthHint);
        value.Encode(w);
        return w.ToArrayOrDetach();
    }
}
