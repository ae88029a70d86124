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

    /// <summary>How often expired messages and key packages are swept.</summary>
    public TimeSpan ExpirySweepInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Largest accepted HTTP request body, in bytes.</summary>
    public long MaxRequestBodyBytes { get; set; } = 1024 * 1024;

    /// <summary>Largest MLS message accepted for delivery, in bytes (before base64).</summary>
    public int MaxMessageBytes { get; set; } = 256 * 1024;

    /// <summary>Largest WebSocket frame a device may send (frames are acknowledgements).</summary>
    public int MaxWebSocketFrameBytes { get; set; } = 4096;

    /// <summary>Most key packages one upload may carry.</summary>
    public int MaxKeyPackagesPerUpload { get; set; } = 100;

    /// <summary>Most one-time key packages a device may keep stored.</summary>
    public int MaxKeyPackagesPerDevice { get; set; } = 500;

    /// <summary>Most devices (revoked ones included) an account may have.</summary>
    public int MaxDevicesPerAccount { get; set; } = 16;

    /// <summary>Most members a group roster may hold.</summary>
    public int MaxGroupMembers { get; set; } = 1000;

    /// <summary>Requests per minute allowed per device (authenticated) or per IP address (anonymous).</summary>
    public int RequestsPerMinute { get; set; } = 600;

    /// <summary>Requests per minute allowed per account, across its devices.</summary>
    public int RequestsPerMinutePerAccount { get; set; } = 1200;

    /// <summary>Anonymous requests per minute (registration, challenges) allowed per IP address.</summary>
    public int AnonymousRequestsPerMinute { get; set; } = 60;

    /// <summary>How long a signing challenge stays valid.</summary>
    public TimeSpan ChallengeLifetime { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Longest time the writer waits to gather more writes into one transaction.</summary>
    public int MaxWriteBatch { get; set; } = 256;
}
