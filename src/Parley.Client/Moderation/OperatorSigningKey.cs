// The server operator's key (docs/safety.md, "Operator"): Ed25519; the server is started with its public half
// (Parley:OperatorKey) and accepts moderation requests signed by the private half.
using NSec.Cryptography;

namespace Parley.Client.Moderation;

/// <summary>The operator's Ed25519 signing key. The private key lives in libsodium's guarded memory and is wiped on
/// <see cref="Dispose"/>; on disk it is a file readable only by its owner holding the base64 of the 32-byte seed.</summary>
public sealed class OperatorSigningKey : IDisposable
{
    /// <summary>Bytes of the seed and of the public key.</summary>
    public const int KeySize = 32;

    private static readonly SignatureAlgorithm Ed25519 = SignatureAlgorithm.Ed25519;
    private readonly Key _key;

    private OperatorSigningKey(Key key)
    {
        _key = key;
        PublicKey = key.PublicKey.Export(KeyBlobFormat.RawPublicKey);
    }

    /// <summary>The 32-byte public key (what the server is started with).</summary>
    public byte[] PublicKey { get; }

    /// <summary>The public key in base64, as <c>--Parley:OperatorKey</c> takes it.</summary>
    public string PublicKeyBase64 => Convert.ToBase64String(PublicKey);

    /// <summary>A fresh key.</summary>
    public static OperatorSigningKey Generate()
        => new(Key.Create(Ed25519, new KeyCreationParameters { ExportPolicy = KeyExportPolicies.AllowPlaintextExport }));

    /// <summary>Reads a key file written by <see cref="Save"/>; a missing or malformed file throws a
    /// <see cref="ParleyClientException"/> that says so.</summary>
    public static OperatorSigningKey Load(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path))
        {
            throw new ParleyClientException(ClientError.OperatorKeyMissing, path, $"There is no operator key file at {path}.");
        }
        byte[] seed;
        try
        {
            seed = Convert.FromBase64String(File.ReadAllText(path).Trim());
        }
        catch (FormatException)
        {
            throw new ParleyClientException($"{path} is not an operator key file (it should hold the base64 of a 32-byte key).");
        }
        try
        {
            if (seed.Length != KeySize)
            {
                throw new ParleyClientException($"{path} is not an operator key file (it should hold the base64 of a 32-byte key).");
            }
            return new(Key.Import(Ed25519, seed, KeyBlobFormat.RawPrivateKey, new KeyCreationParameters { ExportPolicy = KeyExportPolicies.AllowPlaintextExport }));
        }
        finally
        {
            System.Security.Cryptography.CryptographicOperations.ZeroMemory(seed);
        }
    }

    /// <summary>Writes the seed to a new file that only its owner can read; never overwrites a file.</summary>
    public void Save(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (File.Exists(path))
        {
            throw new ParleyClientException($"{path} already exists; choose another file or delete it first.");
        }
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }
        byte[] seed = _key.Export(KeyBlobFormat.RawPrivateKey);
        try
        {
            using var file = new FileStream(path, options);
            using var writer = new StreamWriter(file);
            writer.WriteLine(Convert.ToBase64String(seed));
        }
        finally
        {
            System.Security.Cryptography.CryptographicOperations.ZeroMemory(seed);
        }
    }

    /// <summary>Signs <paramref name="message"/>.</summary>
    public byte[] Sign(ReadOnlySpan<byte> message) => Ed25519.Sign(_key, message);

    public void Dispose() => _key.Dispose();

    public override string ToString() => $"OperatorSigningKey({PublicKeyBase64})";
}
