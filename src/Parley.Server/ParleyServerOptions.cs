using Parley.Content;

namespace Parley.Server;

/// <summary>Server settings, bound from the "Parley" configuration section (the command line's
/// <c>--data DIR</c> sets <see cref="DataDirectory"/>).</summary>
public sealed class ParleyServerOptions
{
    /// <summary>The configuration section these options are bound from.</summary>
    public const string Section = "Parley";

    /// <summary>Folder holding the SQLite database; created when missing.</summary>
    public string DataDirectory { get; set; } = "parley-data";

    /// <summary>How long an undelivered message waits in a mailbox before it is dropped.</summary>
    public TimeSpan MessageRetention { get; set; } = TimeSpan.FromDays(30);

    /// <summary>How long a closed abuse report (its plaintext, stamp and evidence files) is kept after it was closed;
    /// open reports stay until an operator closes them.</summary>
    public TimeSpan ReportRetention { get; set; } = TimeSpan.FromDays(90);

    /// <summary>How often expired messages and key packages are swept.</summary>
    public TimeSpan ExpirySweepInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Largest accepted HTTP request body, in bytes.</summary>
    public long MaxRequestBodyBytes { get; set; } = 1024 * 1024;

    /// <summary>Largest MLS message accepted for delivery, in bytes (before base64). Sized for the largest Commit: on
    /// the post-quantum suite 83 (X-Wing) a Commit with a path carries a 1,120-byte KEM output per leaf it encrypts
    /// to, and in the worst case (right after one Commit added everyone) that is every other member: 1,245,547 bytes
    /// measured at 1,024 members (docs/benchmarks.md, "Post-quantum suites"), above <see cref="MaxGroupMembers"/>.</summary>
    public int MaxMessageBytes { get; set; } = 1280 * 1024;

    /// <summary>Largest Welcome accepted with a commit, in bytes (before base64). A Welcome carries the whole
    /// ratchet tree, about 210 bytes per member, so the default admits groups and channels of about 20,000.</summary>
    public int MaxWelcomeBytes { get; set; } = 4 * 1024 * 1024;

    /// <summary>The request body a send may have: both MLS messages in base64, and room for the JSON around them.</summary>
    public long MaxSendRequestBytes => (MaxMessageBytes + (long)MaxWelcomeBytes) / 3 * 4 + 16 * 1024;

    /// <summary>Most device WebSockets this node holds at once; one more is refused with 503 <c>server_full</c>. Unset, it
    /// follows from the process's open-file limit (see <see cref="Operations.ConnectionBudget"/>), so the node refuses
    /// connections instead of running out of file descriptors.</summary>
    public int? MaxConnections { get; set; }

    /// <summary>Largest WebSocket frame a device may send (frames are acknowledgements).</summary>
    public int MaxWebSocketFrameBytes { get; set; } = 4096;

    /// <summary>Most key packages one upload may carry.</summary>
    public int MaxKeyPackagesPerUpload { get; set; } = 100;

    /// <summary>Most one-time key packages a device may keep stored.</summary>
    public int MaxKeyPackagesPerDevice { get; set; } = 500;

    /// <summary>How many times an hour one account may claim a given other account's key packages; one more is refused
    /// with 429 <c>rate_limited</c> (docs/server-protocol.md, "Key packages").</summary>
    public int KeyPackageClaimsPerTargetPerHour { get; set; } = 10;

    /// <summary>How many claims by other accounts an hour may take an account's one-time key packages, whoever makes
    /// them; later claims in the hour get the last-resort packages, so nobody can drain the one-time ones.</summary>
    public int OneTimeKeyPackageClaimsPerHour { get; set; } = 30;

    /// <summary>Most devices (revoked ones included) an account may have.</summary>
    public int MaxDevicesPerAccount { get; set; } = 16;

    /// <summary>Most members a group roster may hold.</summary>
    public int MaxGroupMembers { get; set; } = 1000;

    /// <summary>Most members (admins' devices and subscribers) a private channel's roster may hold.</summary>
    public int MaxChannelMembers { get; set; } = 20000;

    /// <summary>Requests per minute allowed per device (authenticated) or per IP address (anonymous).</summary>
    public int RequestsPerMinute { get; set; } = 600;

    /// <summary>Requests per minute allowed per account, across its devices.</summary>
    public int RequestsPerMinutePerAccount { get; set; } = 1200;

    /// <summary>Requests per minute allowed per IP address, authenticated or not, across every
    /// device and account behind it (generous: many people may share one address).</summary>
    public int RequestsPerMinutePerAddress { get; set; } = 6000;

    /// <summary>Whether the server takes sealed sends (docs/protocol.md, "Sealed sending"); when false, clients send every
    /// message authenticated.</summary>
    public bool SealedSending { get; set; } = true;

    /// <summary>Sealed sends per minute allowed per delivery credential (one group's epoch, shared by all its members).</summary>
    public int SealedSendsPerMinutePerCredential { get; set; } = 1200;

    /// <summary>Anonymous requests per minute (registration, challenges) allowed per IP address.</summary>
    public int AnonymousRequestsPerMinute { get; set; } = 60;

    /// <summary>How long a signing challenge stays valid.</summary>
    public TimeSpan ChallengeLifetime { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Largest file a person may send, in bytes of the file itself (4 GiB by default). The largest blob follows
    /// from it: see <see cref="BlobLimit"/>.</summary>
    public long MaxFileBytes { get; set; } = 4L * 1024 * 1024 * 1024;

    /// <summary>The older setting, in ciphertext bytes: when set, it replaces <see cref="MaxFileBytes"/> (the file limit
    /// is then the largest file whose ciphertext fits).</summary>
    public long? MaxBlobBytes { get; set; }

    /// <summary>Largest blob, in ciphertext bytes: exactly the ciphertext of a <see cref="MaxFileBytes"/> file in the
    /// attachment cipher's chunking (16 bytes of tag per 64 KiB chunk), or <see cref="MaxBlobBytes"/> when set.</summary>
    public long BlobLimit() => MaxBlobBytes ?? AttachmentCipher.CiphertextLength(MaxFileBytes, AttachmentCipher.DefaultChunkSize);

    /// <summary>Largest file, in plaintext bytes: <see cref="MaxFileBytes"/>, or the largest file whose ciphertext fits
    /// <see cref="MaxBlobBytes"/> when that is set.</summary>
    public long FileLimit() => MaxBlobBytes is { } blob
        ? AttachmentCipher.MaxPlaintextLength(blob, AttachmentCipher.DefaultChunkSize)
        : MaxFileBytes;

    /// <summary>Most bytes of unexpired blobs (finished or not) one device may hold at a time.</summary>
    public long MaxBlobBytesPerDevice { get; set; } = 10L * 1024 * 1024 * 1024;

    /// <summary>How long a finished blob is kept; unset means <see cref="MessageRetention"/>, so an
    /// attachment lives as long as the undelivered message that names it.</summary>
    public TimeSpan? BlobRetention { get; set; }

    /// <summary>How long an upload may take from creation to its last byte before the partial blob is dropped.</summary>
    public TimeSpan BlobUploadWindow { get; set; } = TimeSpan.FromDays(1);

    /// <summary>Most write operations the storage writer gathers into one transaction.</summary>
    public int MaxWriteBatch { get; set; } = 256;

    /// <summary>An Npgsql connection string (<c>Host=…;Port=…;Username=…;Database=…</c>). When set, every
    /// store lives in this shared PostgreSQL database instead of SQLite, so several nodes can serve
    /// (docs/scaling.md); unset, SQLite in <see cref="DataDirectory"/>.</summary>
    public string? Postgres { get; set; }

    /// <summary>How many PostgreSQL transactions one node's writer keeps in flight at once (each
    /// batching whatever writes are waiting).</summary>
    public int PostgresWriters { get; set; } = 4;

    /// <summary>A StackExchange.Redis configuration (<c>host:port</c>, options after commas). When set,
    /// nodes tell each other over Redis pub/sub that a device connected elsewhere has mail; unset,
    /// delivery is notified in-process only (one node).</summary>
    public string? Redis { get; set; }

    /// <summary>The IP addresses of reverse proxies in front of the server, comma-separated (<c>127.0.0.1,::1</c>): a request
    /// from one of them is taken to come from the client its <c>X-Forwarded-For</c> names (and by the scheme of
    /// <c>X-Forwarded-Proto</c>), so per-address rate limits count each client apart. Unset (the default), those headers are
    /// ignored and the connection's own address counts (docs/self-hosting.md, "Behind a reverse proxy").</summary>
    public string? TrustedProxies { get; set; }

    /// <summary>The addresses <see cref="TrustedProxies"/> lists; throws <see cref="FormatException"/> on one that is not an IP address.</summary>
    public IReadOnlyList<System.Net.IPAddress> TrustedProxyAddresses()
        => [.. (TrustedProxies ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(address => System.Net.IPAddress.TryParse(address, out var ip) ? ip
                : throw new FormatException($"'{address}' in Parley:TrustedProxies is not an IP address; list the proxies' addresses, like 127.0.0.1,::1."))];

    /// <summary>A separate address (<c>http://127.0.0.1:9464</c>) on which the server answers <c>GET /metrics</c> in the
    /// Prometheus text format, and nothing else; the public address never serves metrics. Unset (the default), no metrics
    /// are exported. Its port must be fixed and differ from the public one's (docs/self-hosting.md, "Metrics").</summary>
    public string? MetricsUrl { get; set; }

    /// <summary>The operator's Ed25519 public key (base64) that signs moderation requests; unset, every
    /// <c>/v1/admin</c> endpoint answers 403 <c>operator_disabled</c>.</summary>
    public string? OperatorKey { get; set; }

    /// <summary>The server franking key (base64 of 32 bytes) that seals delivery stamps; unset, it is kept in
    /// <c>franking.key</c> in <see cref="SecretsDirectory"/> (SQLite) or in the database (PostgreSQL), created at first
    /// start.</summary>
    public string? FrankingKey { get; set; }

    /// <summary>Where a single-node server keeps the secrets it creates (the franking key), apart from the data folder so
    /// that a copy of the data folder does not open the stamps in it (docs/privacy.md); unset, the folder beside the data
    /// folder named after it with <c>-secrets</c> appended.</summary>
    public string? SecretsDirectory { get; set; }

    /// <summary>The folder <see cref="SecretsDirectory"/> names, or its default.</summary>
    public string SecretsDirectoryOrDefault()
        => Path.GetFullPath(SecretsDirectory ?? Path.TrimEndingDirectorySeparator(Path.GetFullPath(DataDirectory)) + "-secrets");
}
