using System.Buffers;
using Microsoft.Extensions.Options;
using Parley.Server.Storage;

namespace Parley.Server.Blobs;

/// <summary>How a chunk write ended.</summary>
public enum ChunkEnd
{
    /// <summary>The request body ended normally; every byte is on disk.</summary>
    Finished,

    /// <summary>The body broke off (the client went away); the bytes that arrived are on disk.</summary>
    Interrupted,

    /// <summary>The body held more bytes than the blob has room for; nothing was kept.</summary>
    TooLarge,
}

/// <summary>What a chunk write did: bytes durably appended (zero when <see cref="ChunkEnd.TooLarge"/>) and how it ended.</summary>
public readonly record struct ChunkWrite(long Written, ChunkEnd End);

/// <summary>The bytes of blobs, one file per blob under <c>{data}/blobs/{key[0..2]}/{key}</c>. Request
/// bodies are copied through one pooled buffer, so a blob never sits in memory; a chunk is flushed
/// to disk before its new length is recorded, so the recorded offset never runs ahead of the file.</summary>
public sealed class BlobFiles
{
    /// <summary>Name of the folder inside the data folder.</summary>
    public const string FolderName = "blobs";

    private const int BufferSize = 64 * 1024;

    public BlobFiles(IOptions<ParleyServerOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        Root = Path.Combine(Path.GetFullPath(options.Value.DataDirectory), FolderName);
        DataFolder.Create(Root);
    }

    /// <summary>The folder holding every blob file.</summary>
    public string Root { get; }

    /// <summary>Where the bytes of <paramref name="key"/> live.</summary>
    public string PathOf(BlobKey key) => Path.Combine(Root, key.Value[..2], key.Value);

    /// <summary>Bytes on disk for <paramref name="key"/> (0 when there is no file yet).</summary>
    public long LengthOf(BlobKey key)
    {
        var info = new FileInfo(PathOf(key));
        return info.Exists ? info.Length : 0;
    }

    /// <summary>Writes <paramref name="body"/> at <paramref name="offset"/> (dropping anything after
    /// it: bytes of an earlier chunk that were never recorded), refusing to go past
    /// <paramref name="maxBytes"/>. A body that breaks off keeps what arrived.</summary>
    public async Task<ChunkWrite> AppendAsync(BlobKey key, long offset, Stream body, long maxBytes)
    {
        ArgumentNullException.ThrowIfNull(body);
        string path = PathOf(key);
        DataFolder.Create(Path.GetDirectoryName(path)!);
        byte[] buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
        try
        {
            var options = new FileStreamOptions
            {
                Mode = FileMode.OpenOrCreate, Access = FileAccess.Write, Share = FileShare.Read, BufferSize = 0,
                Options = FileOptions.Asynchronous,
            };
            if (!OperatingSystem.IsWindows())
            {
                options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            }
            await using var file = new FileStream(path, options);
            if (file.Length != offset)
            {
                file.SetLength(offset);
            }
            file.Position = offset;
            long written = 0;
            ChunkEnd end = ChunkEnd.Finished;
            while (true)
            {
                int read;
                try
                {
                    // Not cancelled by the request's abort: a broken-off body still yields the bytes
                    // that arrived before it fails, and those are worth keeping.
                    read = await body.ReadAsync(buffer.AsMemory(0, BufferSize), CancellationToken.None);
                }
                catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
                {
                    end = ChunkEnd.TooLarge;
                    break;
                }
                catch (Exception ex) when (ex is IOException or OperationCanceledException or BadHttpRequestException)
                {
                    end = ChunkEnd.Interrupted;
                    break;
                }
                if (read == 0)
                {
                    break;
                }
                if (written + read > maxBytes)
                {
                    end = ChunkEnd.TooLarge;
                    break;
                }
                // Not cancellable: once bytes arrived they are kept, so the client can resume after them.
                await file.WriteAsync(buffer.AsMemory(0, read), CancellationToken.None);
                written += read;
            }
            if (end == ChunkEnd.TooLarge)
            {
                file.SetLength(offset);
                written = 0;
            }
            file.Flush(flushToDisk: true);
            return new ChunkWrite(written, end);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Deletes the file of <paramref name="key"/> if there is one.</summary>
    public void Delete(BlobKey key)
    {
        string path = PathOf(key);
        if (File.Exists(path))
        {
            File.Delete(path);
        }
    }

    /// <summary>Every blob file on disk (for removing files whose row is gone).</summary>
    public IEnumerable<BlobKey> Enumerate()
    {
        foreach (string file in Directory.EnumerateFiles(Root, "*", SearchOption.AllDirectories))
        {
            string name = Path.GetFileName(file);
            if (name.Length == BlobId.Length && name.All(char.IsAsciiHexDigitLower))
            {
                yield return new BlobKey(name);
            }
        }
    }
}
