// RFC 9420 §12 (Commit, Welcome) and §6.3 (PrivateMessage): one real two-member MLS group per pair of devices,
// built as ParleyClient builds a 1:1 conversation (the first device commits an Add of the second's key package and
// sends the Welcome), then used to encrypt every load message and decrypt it on arrival.
using Parley.Client.Groups;
using Parley.Content;
using Parley.Mls.Codec;
using Parley.Mls.Framing;
using Parley.Mls.Group;
using Parley.Mls.Messages;

namespace Parley.Load;

/// <summary>Each device's MLS state in its pair's group (device 2k with 2k + 1). A device's state is used by its sender
/// and its receiver at once, so each is locked.</summary>
internal sealed class PairGroups : IDisposable
{
    private readonly MlsGroup[] _groups;

    private PairGroups(MlsGroup[] groups, byte[][] groupIds)
    {
        _groups = groups;
        GroupIds = groupIds;
    }

    /// <summary>The group id of each pair.</summary>
    public byte[][] GroupIds { get; }

    /// <summary>Builds the groups; <paramref name="register"/>(creator, groupId, commit, welcome) hands each group's
    /// creation and Add commit to the server under test (Parley) or does nothing (other relays). Messages are padded as
    /// ParleyClient pads them unless <paramref name="unpadded"/>.</summary>
    public static async Task<PairGroups> CreateAsync(IReadOnlyList<DeviceLeaf> leaves,
        Func<int, NewGroup, CancellationToken, Task> register, CancellationToken cancellationToken, bool unpadded = false)
    {
        var options = MlsGroupOptions.Default with { Padding = unpadded ? PaddingPolicy.None : Parley.Client.ParleyClient.MessagePadding };
        var groups = new MlsGroup[leaves.Count];
        var ids = new byte[leaves.Count / 2][];
        await Parallel.ForEachAsync(Enumerable.Range(0, leaves.Count / 2), new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = cancellationToken },
            async (pair, ct) =>
            {
                int a = 2 * pair, b = a + 1;
                byte[] groupId = System.Security.Cryptography.RandomNumberGenerator.GetBytes(16);
                var creator = leaves[a].CreateGroup(groupId, options);
                GeneratedKeyPackage keyPackage = leaves[b].NewKeyPackage(DateTimeOffset.UtcNow);
                byte[] genesis = new MlsMessage(creator.CreateGroupInfo(includeRatchetTree: false, includeExternalPub: false)).ToBytes();
                CommitResult result = creator.Commit(new CommitOptions
                {
                    Proposals = [new Add(MlsMessage.Decode(keyPackage.Message).KeyPackage!)],
                    CreateGroupInfo = true,
                    RatchetTreeInGroupInfo = false,
                    ExternalPubInGroupInfo = false,
                });
                byte[] seed0 = creator.Export(SealedSender.ExporterLabel, groupId, SealedSender.SeedSize);
                byte[] seed1 = creator.ExportPending(SealedSender.ExporterLabel, groupId, SealedSender.SeedSize);
                await register(a, new NewGroup(groupId, genesis, result.Commit.ToBytes(), result.Welcome!.ToBytes(), result.GroupInfo!.ToBytes(),
                    SealedSender.DeliveryKey(seed0), SealedSender.DeliveryKey(seed1), seed1), ct);
                creator.MergePendingCommit();
                using var bundle = leaves[b].Bundle(keyPackage);
                groups[a] = creator;
                groups[b] = MlsGroup.JoinFromWelcome(result.Welcome!, bundle, null, options);
                ids[pair] = groupId;
            });
        return new PairGroups(groups, ids);
    }

    /// <summary>The group id of <paramref name="device"/>'s pair.</summary>
    public byte[] GroupOf(int device) => GroupIds[device / 2];

    /// <summary>Encrypts <paramref name="text"/> in a content envelope, as ParleyClient sends a text message; returns the
    /// envelope's message id (also the delivery id) and the MLSMessage bytes.</summary>
    public (string Id, byte[] Message) Encrypt(int device, string text)
    {
        var envelope = new ContentEnvelope(ContentEnvelope.NewMessageId(), DateTimeOffset.UtcNow, new TextContent(text));
        byte[] plaintext = envelope.Encode();
        MlsGroup group = _groups[device];
        lock (group)
        {
            return (envelope.MessageId, group.EncryptApplicationMessage(plaintext).ToBytes());
        }
    }

    /// <summary>Decrypts an application message for <paramref name="device"/> and returns its text; null for anything
    /// else (the Welcome waiting in a mailbox).</summary>
    public string? Decrypt(int device, ReadOnlyMemory<byte> message)
    {
        MlsMessage decoded = MlsMessage.Decode(message);
        if (decoded.WireFormat != WireFormat.MlsPrivateMessage)
        {
            return null;
        }
        MlsGroup group = _groups[device];
        ProcessedMessage processed;
        lock (group)
        {
            processed = group.ProcessMessage(decoded);
        }
        return processed is ApplicationMessage application && ContentEnvelope.Decode(application.Data).Content is TextContent text ? text.Text : null;
    }

    public void Dispose()
    {
        foreach (var group in _groups)
        {
            group?.Dispose();
        }
    }
}
