using System.Text;
using Parley.Mls.Codec;
using Parley.Mls.Crypto;
using Parley.Mls.Messages;
using Parley.Server.Accounts;
using Parley.Server.Devices;
using Parley.Server.Groups;
using Parley.Server.KeyPackages;
using Parley.Server.Tests;

namespace Parley.Server.Postgres.Tests;

/// <summary>A device as the store tests make it: a real MLS signature key, so key packages and
/// commits name it exactly as a client's would.</summary>
public sealed record StoreDevice(AccountId Account, DeviceId Id, SignatureKeyPair Key)
{
    /// <summary>A fresh signed key package of this device.</summary>
    public StoredKeyPackage KeyPackage(DateTimeOffset notAfter)
    {
        KeyPackage package = TestMls.KeyPackageRecord(Id.Value, Key);
        return new StoredKeyPackage(package.Ref(TestMls.Suite), new MlsMessage(package).ToBytes(), notAfter);
    }
}

/// <summary>Builders for the records the stores take.</summary>
public static class StoreFixtures
{
    /// <summary>Registers a fresh account with one device.</summary>
    public static async Task<StoreDevice> RegisterAsync(this StoreEngine engine, string? username = null)
    {
        SignatureKeyPair key = TestMls.Suite.GenerateSignatureKeyPair();
        Assert.True(Username.TryParse(username ?? "u" + Guid.NewGuid().ToString("N")[..12], out Username name));
        var account = new Account(AccountId.New(), name, key.PublicKey);
        NewDevice device = NewDevice(key);
        Assert.Equal(RegistrationOutcome.Created, await engine.Accounts.CreateAsync(account, device, CancellationToken.None));
        return new StoreDevice(account.Id, device.Id, key);
    }

    /// <summary>Adds another device to <paramref name="account"/>.</summary>
    public static async Task<StoreDevice> AddDeviceAsync(this StoreEngine engine, AccountId account)
    {
        SignatureKeyPair key = TestMls.Suite.GenerateSignatureKeyPair();
        Assert.Equal(AddDeviceOutcome.Added, await engine.Devices.AddAsync(account, NewDevice(key), 16, CancellationToken.None));
        return new StoreDevice(account, DeviceId.FromSignatureKey(key.PublicKey), key);
    }

    public static NewDevice NewDevice(SignatureKeyPair key)
        => new(DeviceId.FromSignatureKey(key.PublicKey), 1, key.PublicKey, [1, 2, 3], System.Security.Cryptography.SHA256.HashData(key.PublicKey));

    /// <summary>Creates a group whose creator is leaf 0.</summary>
    public static async Task<GroupId> CreateGroupAsync(this StoreEngine engine, StoreDevice creator)
    {
        GroupId id = GroupId.FromBytes(TestMls.NewGroupId());
        Assert.Equal(CreateGroupOutcome.Created, await engine.Groups.CreateAsync(id, 1, creator.Id, null, CancellationToken.None));
        return id;
    }

    /// <summary>Commits Adds of <paramref name="joiners"/> (with a Welcome for them) from <paramref name="committer"/> at <paramref name="leaf"/>.</summary>
    public static async Task<SubmissionOutcome> AddMembersAsync(this StoreEngine engine, GroupId group, StoreDevice committer, uint leaf,
        ulong epoch, params StoreDevice[] joiners)
    {
        KeyPackage[] packages = joiners.Select(j => TestMls.KeyPackageRecord(j.Id.Value, j.Key)).ToArray();
        byte[] commit = TestMls.Commit(Bytes(group), epoch, leaf, packages.Select(p => (Proposal)new Add(p)).ToArray());
        return await engine.Groups.SubmitAsync(Commit(engine, group, committer, commit, TestMls.Welcome(packages)), CancellationToken.None);
    }

    /// <summary>A PrivateMessage application submission.</summary>
    public static GroupSubmission Application(this StoreEngine engine, GroupId group, StoreDevice sender, ulong epoch, string? id = null)
        => new(group, sender.Id, id ?? Guid.NewGuid().ToString("N"), GroupMessageKind.Application, epoch,
            TestMls.Application(Bytes(group), epoch), null, null, null, engine.Clock.GetUtcNow() + TimeSpan.FromDays(30));

    /// <summary>A commit submission from its MLSMessage bytes; a commit that needs a path gets the sender's (these groups have
    /// no context on the server, so their signatures are not checked, but leaf nodes are).</summary>
    public static GroupSubmission Commit(this StoreEngine engine, GroupId group, StoreDevice sender, byte[] commit, byte[]? welcome = null,
        string? id = null)
    {
        PublicMessage message = TestMls.WithPath(MlsMessage.Decode(commit).PublicMessage!, Encoding.ASCII.GetBytes(sender.Id.Value), sender.Key);
        commit = new MlsMessage(message).ToBytes();
        return new GroupSubmission(group, sender.Id, id ?? Guid.NewGuid().ToString("N"), GroupMessageKind.Commit, message.Content.Epoch,
            commit, message, welcome, welcome is null ? null : MlsMessage.Decode(welcome).Welcome, engine.Clock.GetUtcNow() + TimeSpan.FromDays(30));
    }

    /// <summary>A proposal submission.</summary>
    public static GroupSubmission Proposal(this StoreEngine engine, GroupId group, StoreDevice sender, uint leaf, ulong epoch, Proposal proposal)
    {
        PublicMessage message = TestMls.ProposalMessage(Bytes(group), epoch, leaf, proposal);
        return new GroupSubmission(group, sender.Id, Guid.NewGuid().ToString("N"), GroupMessageKind.Proposal, epoch,
            new MlsMessage(message).ToBytes(), message, null, null, engine.Clock.GetUtcNow() + TimeSpan.FromDays(30));
    }

    public static byte[] Bytes(GroupId group) => System.Buffers.Text.Base64Url.DecodeFromChars(group.Value);

    public static SubmissionOutcome.Accepted Accepted(SubmissionOutcome outcome)
        => Assert.IsType<SubmissionOutcome.Accepted>(outcome);
}
