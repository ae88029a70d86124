using Parley.Client.Storage;

namespace Parley.Client;

/// <summary>How a <see cref="ParleyClient"/> runs.</summary>
public sealed record ParleyClientOptions
{
    /// <summary>The clock (key package lifetimes, received times, disappearing messages).</summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>Argon2id parameters for a new store.</summary>
    public StoreKeyDerivation KeyDerivation { get; init; } = StoreKeyDerivation.Default;

    /// <summary>How many one-time key packages the device keeps on the server.</summary>
    public int KeyPackageTarget { get; init; } = 20;

    /// <summary>Below this many, the device uploads more.</summary>
    public int KeyPackageLowWater { get; init; } = 8;

    /// <summary>Send delivery receipts for received messages.</summary>
    public bool SendDeliveryReceipts { get; init; } = true;

    /// <summary>While listening, how long delivery receipts wait to be sent together: a busy conversation then costs
    /// one receipt per device per interval rather than one per message (in a group, each goes to every member).</summary>
    public TimeSpan ReceiptDelay { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>How often a commit is rebuilt after losing a race (stale epoch) before giving up.</summary>
    public int CommitAttempts { get; init; } = 6;

    /// <summary>Send application messages sealed (docs/protocol.md, "Sealed sending"): signed by the epoch's delivery credential
    /// instead of the device's, so the server does not learn which member sent them. When the server refuses a sealed send,
    /// the message goes authenticated.</summary>
    public bool SealedSending { get; init; } = true;

    /// <summary>Whether this device publishes key packages in the post-quantum suite
    /// <see cref="ParleyClient.PostQuantumCipherSuite"/> besides its registered one, and creates conversations in it when
    /// every device of every member has a key package in it (docs/protocol.md, "Cipher suites"). On by default; off, the
    /// device publishes and creates in its registered suite only (it still joins post-quantum groups it published for).</summary>
    public bool PostQuantum { get; init; } = true;

    /// <summary>An HTTP handler for the server connection (tests); null for the default.</summary>
    public HttpMessageHandler? HttpHandler { get; init; }
}
