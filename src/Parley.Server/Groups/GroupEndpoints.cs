using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using Parley.Content;
using Parley.Mls;
using Parley.Mls.Codec;
using Parley.Mls.Crypto;
using Parley.Mls.Framing;
using Parley.Mls.Messages;
using Parley.Server.Channels;
using Parley.Server.Devices;
using Parley.Server.Http;

namespace Parley.Server.Groups;

/// <summary>Creating groups and reading their roster.</summary>
public static class GroupEndpoints
{
    public static IEndpointRouteBuilder MapGroupEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapPost("/v1/groups", Create).RequireAuthorization()
            .WithSummary("Registers a new MLS group at epoch 0 with the calling device at leaf 0.");
        app.MapGet("/v1/groups/{groupId}", Get).RequireAuthorization()
            .WithSummary("Returns the group's epoch and roster (members only).");
        return app;
    }

    private static async Task<Results<Created<GroupResponse>, ProblemHttpResult>> Create(
        CreateGroupRequest request, ClaimsPrincipal user, IGroupStore groups, IDeviceStore devices, CancellationToken cancellationToken)
    {
        var (deviceId, _) = DevicePrincipal.Of(user);
        if (!GroupId.TryParse(request.GroupId, out GroupId id))
        {
            return Problem.BadRequest(ProblemCodes.InvalidGroupId, "A group id is 1 to 64 bytes in unpadded base64url.");
        }
        Device device = (await devices.FindAsync(deviceId, cancellationToken))!;
        if (!DeviceSuites.Allows(device, request.CipherSuite, out _))
        {
            return Problem.BadRequest(ProblemCodes.UnsupportedCipherSuite,
                $"The group must use a supported cipher suite that signs like the device's ({device.CipherSuite}).");
        }
        if (request.DeliveryKey is { } deliveryKey && deliveryKey.Length != SealedSender.KeySize)
        {
            return Problem.BadRequest(ProblemCodes.InvalidDeliveryKey, $"A delivery key is {SealedSender.KeySize} bytes (an Ed25519 public key).");
        }
        if (CheckGenesis(id, request, device) is not { } genesis)
        {
            return Problem.BadRequest(ProblemCodes.InvalidGroupInfo,
                "A new group needs its GroupInfo at epoch 0 (an MLSMessage) for this group id and cipher suite, with an empty transcript, "
                + "signed by leaf 0 with the creating device's registered key.");
        }
        if (await groups.CreateAsync(id, request.CipherSuite, deviceId, genesis, cancellationToken) == CreateGroupOutcome.AlreadyExists)
        {
            return Problem.Conflict(ProblemCodes.GroupExists, "A group with this id exists; choose a fresh random group id.");
        }
        return TypedResults.Created($"/v1/groups/{id.Value}",
            new GroupResponse(id.Value, request.CipherSuite, 0, [new GroupMemberEntry(0, deviceId.Value)]));
    }

    private static async Task<Results<Ok<GroupResponse>, ProblemHttpResult>> Get(
        string groupId, ClaimsPrincipal user, IGroupStore groups, IChannelStore channels, CancellationToken cancellationToken)
    {
        var (deviceId, _) = DevicePrincipal.Of(user);
        GroupRoster? roster = GroupId.TryParse(groupId, out GroupId id) ? await groups.FindAsync(id, cancellationToken) : null;
        // A group the caller is not in looks exactly like a missing one.
        if (roster is null || !roster.Contains(deviceId))
        {
            return Problem.NotFound(ProblemCodes.GroupNotFound, "You are not a member of a group with this id.");
        }
        // In a private channel the roster shows admins' devices and the caller's own leaf, never other subscribers' devices.
        if (await channels.AdminDevicesAsync(id, cancellationToken) is { } visible)
        {
            roster = roster with { Members = roster.Members.Where(m => visible.Contains(m.Value) || m.Value == deviceId)
                .ToDictionary(m => m.Key, m => m.Value) };
        }
        return TypedResults.Ok(ToResponse(roster));
    }

    // RFC 9420 §11: a new group's context is at epoch 0 with an empty confirmed transcript hash; its interim transcript hash
    // follows from the creator's confirmation tag.
    private static GroupGenesis? CheckGenesis(GroupId id, CreateGroupRequest request, Device device)
    {
        GroupInfo? groupInfo;
        try
        {
            groupInfo = request.GroupInfo is { Length: > 0 } bytes ? MlsMessage.Decode(bytes).GroupInfo : null;
        }
        catch (MlsDecodeException)
        {
            return null;
        }
        CipherSuite suite = CipherSuite.Get(request.CipherSuite);
        if (groupInfo is not { GroupContext: { Epoch: 0, ConfirmedTranscriptHash.Length: 0 } context, Signer.Value: 0 }
            || context.CipherSuite != request.CipherSuite || GroupId.FromBytes(context.GroupId) != id)
        {
            return null;
        }
        return HandshakeChecks.VerifiesSafely(() => groupInfo.Verify(suite, device.SignatureKey))
            ? new GroupGenesis(device.SignatureKey, new GroupEpochState(context, TranscriptHash.Interim(suite, [], groupInfo.ConfirmationTag)))
            {
                DeliveryKey = request.DeliveryKey,
            }
            : null;
    }

    internal static GroupResponse ToResponse(GroupRoster roster)
        => new(roster.Id.Value, roster.CipherSuite, roster.Epoch,
            roster.Members.OrderBy(m => m.Key).Select(m => new GroupMemberEntry(m.Key, m.Value.Value)).ToList());
}
