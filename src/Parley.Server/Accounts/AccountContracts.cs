namespace Parley.Server.Accounts;

/// <summary>A fresh challenge for an account-key signature.</summary>
public sealed record ChallengeResponse(byte[] Challenge, DateTimeOffset ExpiresAt);

/// <summary>A device's MLS signature key, its cipher suite, and the account's certificate over them.</summary>
public sealed record DeviceKey(ushort CipherSuite, byte[] SignatureKey, byte[] Certificate);

/// <summary>Registers a username with an Ed25519 identity key and the first device.</summary>
/// <param name="Signature">Ed25519 signature by the identity key over <see cref="AccountSignatures.Register"/>.</param>
/// <param name="Username">3–32 of a–z 0–9 _ . - (folded to lower case).</param>
/// <param name="IdentityKey">The account identity key (Ed25519 public key).</param>
/// <param name="Challenge">A challenge from POST /v1/challenges, used once.</param>
/// <param name="Device">The first device's key, certified by the identity key.</param>
public sealed record RegisterRequest(string Username, byte[] IdentityKey, byte[] Challenge, byte[] Signature, DeviceKey Device);

/// <summary>The new account and the first device's credential (shown once; the server keeps only its hash).</summary>
public sealed record RegisterResponse(string AccountId, string Username, string DeviceId, string Credential);

/// <summary>A device as the directory publishes it.</summary>
/// <param name="DeviceId">The device id.</param>
/// <param name="CipherSuite">The suite the device registered (its certificate names it).</param>
/// <param name="SignatureKey">The device's MLS signature key.</param>
/// <param name="Certificate">The account's certificate over the key.</param>
/// <param name="KeyPackageSuites">The cipher suites in which the device has key packages to claim, ascending (empty when
/// it has none): what a client reads to choose a new group's suite.</param>
public sealed record DirectoryDevice(string DeviceId, ushort CipherSuite, byte[] SignatureKey, byte[] Certificate,
    IReadOnlyList<ushort> KeyPackageSuites);

/// <summary>An account as the directory publishes it: the identity key clients pin, and its active devices.</summary>
public sealed record DirectoryEntry(string Username, byte[] IdentityKey, IReadOnlyList<DirectoryDevice> Devices);
