// Reads a backup file's header and decrypts its chunks in order (docs/backup.md, "Format").
using System.Security.Cryptography;

namespace Parley.Client.Backup;

/// <summary>A read-only stream over the plaintext of a backup file. Every chunk is authenticated before any of its
/// bytes are returned; a chunk that does not open as the next one (changed, reordered, dropped) or a file that ends
/// without a last chunk throws <see cref="BackupFormatException"/> with <see cref="BackupProblem.Damaged"/>.</summary>
public sealed class BackupReader : Stream
{
    private readonly Stream _input;
    private readonly BackupCipher _cipher;
    private readonly byte[] _sealed; // one sealed chunk plus one byte of look-ahead
    private readonly byte[] _plain;
    private int _sealedFilled;
    private int _plainStart;
    private int _plainEnd;
    private ulong _index;
    private bool _sawLast;
    private long _position;

    private BackupReader(Stream input, BackupCipher cipher)
    {
        _input = input;
        _cipher = cipher;
        _sealed = new byte[cipher.Header.ChunkSize + BackupCipher.TagSize + 1];
        _plain = new byte[cipher.Header.ChunkSize];
    }

    /// <summary>The file's header.</summary>
    public BackupHeader Header => _cipher.Header;

    /// <summary>Reads and checks the header of the backup in <paramref name="input"/> (which the reader does not
    /// close) and the secret against its key check.</summary>
    public static BackupReader Open(Stream input, BackupSecret secret)
    {
        ArgumentNullException.ThrowIfNull(input);
        var header = BackupHeader.Decode(ReadHeaderBytes(input));
        return new BackupReader(input, BackupCipher.Open(header, secret));
    }

    /// <summary>Reads only the header of the backup in <paramref name="input"/>.</summary>
    public static BackupHeader ReadHeader(Stream input)
    {
        ArgumentNullException.ThrowIfNull(input);
        return BackupHeader.Decode(ReadHeaderBytes(input));
    }

    private static byte[] ReadHeaderBytes(Stream input)
    {
        byte[] bytes = new byte[BackupHeader.Size];
        int n = input.ReadAtLeast(bytes, bytes.Length, throwOnEndOfStream: false);
        return bytes[..n];
    }

    /// <inheritdoc/>
    public override int Read(Span<byte> buffer)
    {
        if (buffer.IsEmpty)
        {
            return 0;
        }
        while (_plainStart == _plainEnd)
        {
            if (_sawLast)
            {
                return 0;
            }
            NextChunk();
        }
        int n = Math.Min(buffer.Length, _plainEnd - _plainStart);
        _plain.AsSpan(_plainStart, n).CopyTo(buffer);
        _plainStart += n;
        _position += n;
        return n;
    }

    /// <inheritdoc/>
    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    /// <summary>Reads to the end, authenticating every chunk, and returns the plaintext length.</summary>
    public long Verify()
    {
        while (true)
        {
            _position += _plainEnd - _plainStart;
            _plainStart = _plainEnd;
            if (_sawLast)
            {
                return _position;
            }
            NextChunk();
        }
    }

    private void NextChunk()
    {
        CryptographicOperations.ZeroMemory(_plain);
        _sealedFilled += _input.ReadAtLeast(_sealed.AsSpan(_sealedFilled), _sealed.Length - _sealedFilled, throwOnEndOfStream: false);
        int chunkLength = _sealed.Length - 1;
        // A full chunk followed by at least one more byte is not the last one; anything shorter ends the file.
        bool last = _sealedFilled < _sealed.Length;
        int length = last ? _sealedFilled : chunkLength;
        if (length < BackupCipher.TagSize
            || !_cipher.TryOpen(_index, last, _sealed.AsSpan(0, length), _plain.AsSpan(0, length - BackupCipher.TagSize)))
        {
            throw new BackupFormatException($"The backup is damaged: part {_index + 1} does not authenticate (the file was changed, cut short or its parts reordered).");
        }
        _index++;
        _plainStart = 0;
        _plainEnd = length - BackupCipher.TagSize;
        if (last)
        {
            _sawLast = true;
            _sealedFilled = 0;
        }
        else
        {
            _sealed[0] = _sealed[chunkLength];
            _sealedFilled = 1;
        }
    }

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            CryptographicOperations.ZeroMemory(_plain);
            _cipher.Dispose();
        }
        base.Dispose(disposing);
    }

    /// <inheritdoc/>
    public override bool CanRead => true;

    /// <inheritdoc/>
    public override bool CanSeek => false;

    /// <inheritdoc/>
    public override bool CanWrite => false;

    /// <inheritdoc/>
    public override long Length => throw new NotSupportedException();

    /// <inheritdoc/>
    public override long Position
    {
        get => _position;
        set => throw new NotSupportedException();
    }

    /// <inheritdoc/>
    public override void Flush()
    {
    }

    /// <inheritdoc/>
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    /// <inheritdoc/>
    public override void SetLength(long value) => throw new NotSupportedException();

    /// <inheritdoc/>
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
