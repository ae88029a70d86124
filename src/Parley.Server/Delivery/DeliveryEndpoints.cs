using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.Extensions.Options;
using Parley.Content;
using Parley.Mls.Codec;
using Parley.Mls.Messages;
using Parley.Server.Devices;
using Parley.Server.Groups;
using Parley.Server.Http;
using Parley.Server.Mailboxes;
using Parley.Server.Operations;

namespace Parley.Server.Delivery;

/// <summary>Sending to a group, and the delivery WebSocket.</summary>
public static class DeliveryEndpoints
{
    public static IEndpointRouteBuilder MapDeliveryEndpoints(this IEndpointRouteBuilder app)
    {
        var options = app.ServiceProvider.GetRequiredService<IOptions<ParleyServerOptions>>().Value;
        app.MapPost("/v1/groups/{groupId}/messages", Send).RequireAuthorization(DeviceAuthenticationHandler.MemberPolicy)
            .WithMetadata(new SendSizeLimit(options.MaxSendRequestBytes))
            .WithSummary("Sends an MLS message (commit, proposal or application message) to every other member.");
        // Requests routed here are served by DeviceSocketGate before the pipeline (authentication included) runs; the endpoint
        // is what routing matches and what the OpenAPI document lists.
        app.Map("/v1/ws", NotServedHere).RequireAuthorization()
            .WithMetadata(DeviceSocketGate.Marker.Instance)
            .WithSummary("Opens the device's delivery WebSocket.");
        return app;
    }

    private static async Task<Results<Ok<SendResponse>, ProblemHttpResult>> Send(
        string groupId, SendRequest request, ClaimsPrincipal user, IGroupStore groups, DeviceConnections connections,
        ServerMetrics metrics, TimeProvider time, IOptions<ParleyServerOptions> options, CancellationToken cancellationToken)
    {
        // A device, or a channel subscriber's queue sending its own leaf's handshake messages (docs/channels.md).
        DeviceId sender = DevicePrincipal.Sender(user);
        if (!GroupId.TryParse(groupId, out GroupId id))
        {
            return Problem.BadRequest(ProblemCodes.InvalidGroupId, "A group id is 1 to 64 bytes in unpadded base64url.");
        }
        if (CheckSendRequest(request, options.Value) is { } badRequest)
        {
            return badRequest;
        }
        var (submission, problem) = Classify(id, sender, request, MailboxExpiry.ExpiryOf(time.GetUtcNow(), options.Value.MessageRetention));
        if (problem is not null)
        {
            metrics.SubmissionRejected(problem.ProblemDetails.Extensions["code"]?.ToString() ?? "unknown");
            return problem;
        }
        return await SubmitAsync(submission!, groups, connections, metrics, GroupNotFound(), cancellationToken);
    }

    /// <summary>Orders a classified submission and answers as a send does: the accepted epoch (recipients told), the
    /// rejection's problem, or <paramref name="notFound"/> when the group does not exist.</summary>
    internal static async Task<Results<Ok<SendResponse>, ProblemHttpResult>> SubmitAsync(GroupSubmission submission, IGroupStore groups,
        DeviceConnections connections, ServerMetrics metrics, ProblemHttpResult notFound, CancellationToken cancellationToken)
    {
        switch (await groups.SubmitAsync(submission, cancellationToken))
        {
            case SubmissionOutcome.Accepted accepted:
                metrics.MessagesAccepted(accepted.Recipients.Count);
                connections.Notify(accepted.Recipients);
                return TypedResults.Ok(new SendResponse(submission.MessageId, accepted.Epoch, accepted.Repeated));
            case SubmissionOutcome.Rejected rejected:
                metrics.SubmissionRejected(CodeOf(rejected.Reason));
                return ProblemOf(rejected);
            default:
                return notFound;
        }
    }

    /// <summary>The checks of a send request that need no decoding: its id, and the sizes of its message and Welcome.</summary>
    internal static ProblemHttpResult? CheckSendRequest(SendRequest request, ParleyServerOptions options)
    {
        if (!MessageIdRules.IsValid(request.Id))
        {
            return Problem.BadRequest(ProblemCodes.InvalidMessageId,
                "A message id has 1 to 64 characters: letters, digits, '_' or '-'. Use a random UUID and reuse it on retry.");
        }
        if (request.Message is null || request.Message.Length == 0)
        {
            return Problem.BadRequest(ProblemCodes.MalformedRequest, "The message is required.");
        }
        int limit = options.MaxMessageBytes;
        if (request.Message.Length > limit)
        {
            return Problem.Create(StatusCodes.Status413PayloadTooLarge, ProblemCodes.MessageTooLarge,
                $"An MLS message may have at most {limit} bytes.");
        }
        if (request.Welcome?.Length > options.MaxWelcomeBytes)
        {
            return Problem.Create(StatusCodes.Status413PayloadTooLarge, ProblemCodes.MessageTooLarge,
                $"A Welcome may have at most {options.MaxWelcomeBytes} bytes; add fewer members to a group this large at a time.");
        }
        if (request.DeliveryKey is { } deliveryKey && deliveryKey.Length != SealedSender.KeySize)
        {
            return Problem.BadRequest(ProblemCodes.InvalidDeliveryKey, $"A delivery key is {SealedSender.KeySize} bytes (an Ed25519 public key).");
        }
        return null;
    }

    /// <summary>The answer to a stored or refused submission, counted in the metrics; <paramref name="groupNotFound"/> answers
    /// for a group that does not exist (not counted: a missing group is no rejected submission).</summary>
    internal static Results<Ok<SendResponse>, ProblemHttpResult> Answer(SubmissionOutcome outcome, string id, ServerMetrics metrics,
        DeviceConnections connections, Func<ProblemHttpResult> groupNotFound)
    {
        switch (outcome)
        {
            case SubmissionOutcome.Accepted accepted:
                metrics.MessagesAccepted(accepted.Recipients.Count);
                connections.Notify(accepted.Recipients);
                return TypedResults.Ok(new SendResponse(id, accepted.Epoch, accepted.Repeated));
            case SubmissionOutcome.Rejected rejected:
                metrics.SubmissionRejected(CodeOf(rejected.Reason));
                return ProblemOf(rejected);
            default:
                return groupNotFound();
        }
    }

    /// <summary>The answer for a group that does not exist, and the same answer, to the byte, for a device that is not a
    /// member of one that does: a non-member must not learn that a group exists.</summary>
    internal static ProblemHttpResult GroupNotFound()
        => Problem.NotFound(ProblemCodes.GroupNotFound, "There is no group with this id that this device is a member of.");

    /// <summary>Decodes and classifies the message; the server reads only the public framing.</summary>
    internal static (GroupSubmission?, ProblemHttpResult?) Classify(GroupId id, DeviceId sender, SendRequest request, DateTimeOffset expiresAt)
    {
        MlsMessage message;
        Welcome? welcome = null;
        GroupInfo? groupInfo = null;
        try
        {
            message = MlsMessage.Decode(request.Message);
            if (request.Welcome is not null)
            {
                welcome = MlsMessage.Decode(request.Welcome).Welcome
                          ?? throw new MlsDecodeException("The welcome field does not carry a Welcome.");
            }
            if (request.GroupInfo is not null)
            {
                groupInfo = MlsMessage.Decode(request.GroupInfo).GroupInfo
                            ?? throw new MlsDecodeException("The groupInfo field does not carry a GroupInfo.");
            }
        }
        catch (MlsDecodeException)
        {
            return (null, Problem.BadRequest(ProblemCodes.MalformedMlsMessage, "The message does not decode as an MLSMessage."));
        }

        GroupMessageKind kind;
        byte[] messageGroupId;
        ulong epoch;
        switch (message.Body)
        {
            case PublicMessage pm:
                messageGroupId = pm.Content.GroupId;
                epoch = pm.Content.Epoch;
                kind = pm.Content.ContentType switch
                {
                    ContentType.Commit => GroupMessageKind.Commit,
                    ContentType.Proposal => GroupMessageKind.Proposal,
                    _ => GroupMessageKind.Application,
                };
                if (kind == GroupMessageKind.Application)
                {
                    return (null, Problem.Unprocessable(ProblemCodes.ApplicationMustBePrivate,
                        "Application messages must be sent as PrivateMessage."));
                }
                break;
            case PrivateMessage pm:
                messageGroupId = pm.GroupId;
                epoch = pm.Epoch;
                kind = GroupMessageKind.Application;
                if (pm.ContentType != ContentType.Application)
                {
                    return (null, Problem.Unprocessable(ProblemCodes.HandshakeMustBePublic,
                        "Proposals and commits must be sent as PublicMessage so the server can order them."));
                }
                break;
            default:
                return (null, Problem.Unprocessable(ProblemCodes.UnsupportedWireFormat,
                    $"A {message.WireFormat} cannot be sent to a group; send a PublicMessage or PrivateMessage."));
        }
        if (GroupId.FromBytes(messageGroupId) != id)
        {
            return (null, Problem.BadRequest(ProblemCodes.GroupMismatch, "The message belongs to another group than the URL names."));
        }
        if (welcome is not null && kind != GroupMessageKind.Commit)
        {
            return (null, Problem.BadRequest(ProblemCodes.UnexpectedWelcome, "Only a commit may carry a Welcome."));
        }
        if (groupInfo is not null && kind != GroupMessageKind.Commit)
        {
            return (null, Problem.BadRequest(ProblemCodes.InvalidGroupInfo, "Only a commit carries a GroupInfo."));
        }
        if (request.DeliveryKey is not null && kind != GroupMessageKind.Commit)
        {
            return (null, Problem.BadRequest(ProblemCodes.InvalidDeliveryKey, "Only a commit announces the delivery key of the epoch it starts."));
        }
        return (new GroupSubmission(id, sender, request.Id, kind, epoch, request.Message, message.PublicMessage,
            request.Welcome, welcome, expiresAt) { GroupInfo = groupInfo, NextDeliveryKey = request.DeliveryKey }, null);
    }

    internal static ProblemHttpResult ProblemOf(SubmissionOutcome.Rejected rejected) => rejected.Reason switch
    {
        RejectionReason.StaleEpoch => Problem.Create(StatusCodes.Status409Conflict, ProblemCodes.StaleEpoch, rejected.Detail,
            new Dictionary<string, object?> { ["epoch"] = rejected.CurrentEpoch }),
        // A device that is not a member is answered exactly as for a group that does not exist.
        RejectionReason.NotMember => GroupNotFound(),
        RejectionReason.InvalidSignature => Problem.Unprocessable(ProblemCodes.InvalidSignature, rejected.Detail),
        RejectionReason.InvalidGroupInfo => Problem.Unprocessable(ProblemCodes.InvalidGroupInfo, rejected.Detail),
        RejectionReason.InvalidProposal => Problem.Unprocessable(ProblemCodes.InvalidProposal, rejected.Detail),
        RejectionReason.UnknownDevice => Problem.Unprocessable(ProblemCodes.UnknownDevice, rejected.Detail),
        RejectionReason.GroupFull => Problem.Unprocessable(ProblemCodes.GroupFull, rejected.Detail),
        RejectionReason.NotChannelAdmin => Problem.Forbidden(ProblemCodes.NotChannelAdmin, rejected.Detail),
        RejectionReason.InvalidChannelExtension => Problem.Unprocessable(ProblemCodes.InvalidChannelExtension, rejected.Detail),
        RejectionReason.InvalidDeliveryCredential => SealedSendEndpoints.InvalidCredential(),
        _ => Problem.Unprocessable(ProblemCodes.InvalidCommit, rejected.Detail),
    };

    internal static string CodeOf(RejectionReason reason) => reason switch
    {
        RejectionReason.StaleEpoch => ProblemCodes.StaleEpoch,
        RejectionReason.NotMember => ProblemCodes.NotMember,
        RejectionReason.InvalidSignature => ProblemCodes.InvalidSignature,
        RejectionReason.InvalidGroupInfo => ProblemCodes.InvalidGroupInfo,
        RejectionReason.InvalidProposal => ProblemCodes.InvalidProposal,
        RejectionReason.UnknownDevice => ProblemCodes.UnknownDevice,
        RejectionReason.GroupFull => ProblemCodes.GroupFull,
        RejectionReason.NotChannelAdmin => ProblemCodes.NotChannelAdmin,
        RejectionReason.InvalidChannelExtension => ProblemCodes.InvalidChannelExtension,
        RejectionReason.InvalidDeliveryCredential => ProblemCodes.InvalidDeliveryCredential,
        _ => ProblemCodes.InvalidCommit,
    };

    /// <summary>Reached only if the gate was left out of the pipeline: the connect is refused rather than served twice.</summary>
    private static ProblemHttpResult NotServedHere()
        => Problem.Create(StatusCodes.Status503ServiceUnavailable, ProblemCodes.InternalError, "The delivery WebSocket is not served by this pipeline.");
}

/// <summary>The send endpoint's own body limit: a commit's Welcome carries the ratchet tree and may be far larger
/// than other requests.</summary>
internal sealed record SendSizeLimit(long? MaxRequestBodySize) : IRequestSizeLimitMetadata;
