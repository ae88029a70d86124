// Settings of a client store.
namespace Parley.Client.Storage;

/// <summary>How a store is created and run.</summary>
public sealed record ClientStoreOptions
{
    /// <summary>Argon2id parameters for a new store or a passphrase change (an existing store keeps its own).</summary>
    public StoreKeyDerivation KeyDerivation { get; init; } = StoreKeyDerivation.Default;

    /// <summary>The clock for received times and disappearing messages.</summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>Where local attachment copies (ciphertext) go; default: "attachments" beside the database.</summary>
    public string? AttachmentsDirectory { get; init; }
}
