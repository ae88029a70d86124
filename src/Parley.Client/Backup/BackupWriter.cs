// Writes a backup file's header and its plaintext as chunks (docs/backup.md, "Format").
using System.Security.Cryptography;

namespace Parley.Client.Backup;

/// <summary>A write-only stream that encrypts what is written to it into a backup file: the header first, then
/// chunks of <see cref="BackupHeader.ChunkSize"/> plaintext bytes. A chunk is sealed as the last one only by
/// <see cref="Complete"/>; a writer disposed without it leaves a file that no reader accepts.</summary>
public sealed class BackupWriter : Stream
{
    private readonly Stream _output;
    private readonly BackupCipher _cipher;
    private readonly byte[] _plain;
    private readonly byte[] _sealed;
    private int _filled;
    private ulong _index;
    private long _length;
    private bool _completed;

    private BackupWriter(Stream output, BackupCipher cipher)
    {
        _output = output;
        _cipher = cipher;
        _plain = new byte[cipher.Header.ChunkSize];
        _sealed = new byte[cipher.Header.ChunkSize + BackupCipher.TagSize];
    }

    /// <summary>Starts a backup in <paramref name="output"/> (which the writer does not close) and writes its header.</summary>
    public static BackupWriter Create(Stream output, BackupSecret secret, int chunkSize = BackupHeader.DefaultChunkSize)
    {
        ArgumentNullException.ThrowIfNull(output);
        var cipher = BackupCipher.Create(secret, chunkSize);
        try
        {
            output.Write(cipher.HeaderBytes);
            return new BackupWriter(output, cipher);
        }
        catch
        {
            cipher.Dispose();
            throw;
        }
    }

    /// <inheritdoc/>
    public override void Write(ReadOnlySpan<byte> buffer)
    {
        ObjectDisposedException.ThrowIf(_completed, this);
        while (!buffer.IsEmpty)
        {
            // A full chunk is sealed only when more plaintext follows: the last chunk must carry the last flag.
            if (_filled == _plain.Length)
            {
                SealChunk(last: false);
            }
            int n = Math.Min(buffer.Length, _plain.Length - _filled);
            buffer[..n].CopyTo(_plain.AsSpan(_filled));
            _filled += n;
            _length += n;
            buffer = buffer[n..];
        }
    }

    /// <inheritdoc/>
    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    /// <inheritdoc/>
    public override void WriteByte(byte value) => Write([value]);

    /// <summary>Seals the last chunk and flushes the output.</summary>
    public void Complete()
    {
        ObjectDisposedException.ThrowIf(_completed, this);
        SealChunk(last: true);
        _completed = true;
        _output.Flush();
    }

    private void SealChunk(bool last)
    {
        _cipher.Seal(_index++, last, _plain.AsSpan(0, _filled), _sealed.AsSpan(0, _filled + BackupCipher.TagSize));
        _output.Write(_sealed, 0, _filled + BackupCipher.TagSize);
        CryptographicOperations.ZeroMemory(_plain.AsSpan(0, _filled));
        _filled = 0;
    }

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _completed = true;
            CryptographicOperations.ZeroMemory(_plain);
            _cipher.Dispose();
        }
        base.Dispose(disposing);
    }

    /// <inheritdoc/>
    public override bool CanRead => false;

    /// <inheritdoc/>
    public override bool CanSeek => false;

    /// <inheritdoc/>
    public override bool CanWrite => !_completed;

    /// <summary>The plaintext bytes written so far.</summary>
    public override long Length => _length;

    /// <inheritdoc/>
    public override long Position
    {
        get => _length;
        set => throw new NotSupportedException();
    }

    /// <inheritdoc/>
    public override void Flush()
    {
    }

    /// <inheritdoc/>
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    /// <inheritdoc/>
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    /// <inheritdoc/>
    public override void SetLength(long value) => throw new NotSupportedException();
}
