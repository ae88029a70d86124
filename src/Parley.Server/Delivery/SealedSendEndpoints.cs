// Parley sealed sending (docs/protocol.md, "Sealed sending"; docs/server-protocol.md, "POST /v1/groups/{groupId}/sealed").
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Parley.Content;
using Parley.Mls.Codec;
using Parley.Mls.Messages;
using Parley.Server.Groups;
using Parley.Server.Http;
using Parley.Server.Mailboxes;
using Parley.Server.Operations;

namespace Parley.Server.Delivery;

/// <summary>Sending an application message without naming the sending device: the request carries no device credential,
/// only the signature of the epoch's delivery key, which every member of the epoch can make and nobody else. The server
/// learns "a member of this group", not which one, and fans the message out to every member device.</summary>
public static class SealedSendEndpoints
{
    public static IEndpointRouteBuilder MapSealedSendEndpoints(this IEndpointRouteBuilder app)
    {
        var options = app.ServiceProvider.GetRequiredService<IOptions<ParleyServerOptions>>().Value;
        // The same body limit as an authenticated send, so a message up to MaxMessageBytes reaches the size check.
        app.MapPost("/v1/groups/{groupId}/sealed", Send).AllowAnonymous()
            .WithMetadata(new SendSizeLimit(options.MaxSendRequestBytes))
            .WithSummary("Sends an application message (a PrivateMessage) sealed: signed by the epoch's delivery key, not by a device.");
        return app;
    }

    /// <summary>The answer to a sealed send whose group does not exist, whose delivery key is not the group's for the message's
    /// epoch, whose epoch is neither the current nor the previous one, or whose signature fails: the same, to the byte, so a
    /// sender learns nothing of a group it is not a member of.</summary>
    internal static ProblemHttpResult InvalidCredential()
        => Problem.Forbidden(ProblemCodes.InvalidDeliveryCredential,
            "The delivery credential does not hold for this group and epoch; send the message authenticated.");

    private static async Task<Results<Ok<SendResponse>, ProblemHttpResult>> Send(
        string groupId, SealedSendRequest request, HttpContext http, IGroupStore groups, DeviceConnections connections,
        RateLimits.SealedSendLimiter limiter, ServerMetrics metrics, TimeProvider time, IOptions<ParleyServerOptions> options,
        CancellationToken cancellationToken)
    {
        if (!options.Value.SealedSending)
        {
            return Problem.Forbidden(ProblemCodes.SealedSendingDisabled, "This server takes no sealed sends; send the message authenticated.");
        }
        if (!GroupId.TryParse(groupId, out GroupId id))
        {
            return Problem.BadRequest(ProblemCodes.InvalidGroupId, "A group id is 1 to 64 bytes in unpadded base64url.");
        }
        if (!MessageIdRules.IsValid(request.Id))
        {
            return Problem.BadRequest(ProblemCodes.InvalidMessageId,
                "A message id has 1 to 64 characters: letters, digits, '_' or '-'. Use a random UUID and reuse it on retry.");
        }
        if (request.Message.Length == 0)
        {
            return Problem.BadRequest(ProblemCodes.MalformedRequest, "The message is required.");
        }
        int limit = options.Value.MaxMessageBytes;
        if (request.Message.Length > limit)
        {
            return Problem.Create(StatusCodes.Status413PayloadTooLarge, ProblemCodes.MessageTooLarge,
                $"An MLS message may have at most {limit} bytes.");
        }
        var (decoded, problem) = Classify(id, request.Message);
        if (problem is not null)
        {
            metrics.SubmissionRejected(problem.ProblemDetails.Extensions["code"]?.ToString() ?? "unknown");
            return problem;
        }
        // The signature is checked before the write, off the store's writer; inside it, the rules check that the key is the
        // group's for the message's epoch.
        if (!SealedSender.Verify(request.DeliveryKey, GroupIdBytes(id), request.Id, request.Message, request.Signature))
        {
            metrics.SubmissionRejected(ProblemCodes.InvalidDeliveryCredential);
            return InvalidCredential();
        }
        using (RateLimitLease lease = limiter.AttemptAcquire(request.DeliveryKey))
        {
            if (!lease.IsAcquired)
            {
                int seconds = RateLimits.SetRetryAfter(http, RateLimits.RetryAfterOf(lease));
                return Problem.Create(StatusCodes.Status429TooManyRequests, ProblemCodes.RateLimited,
                    $"Too many sealed sends to this group; retry in {seconds} seconds.");
            }
        }

        ulong epoch = decoded!.PrivateMessage!.Epoch;
        var submission = new GroupSubmission(id, GroupSubmission.SealedSender, request.Id, GroupMessageKind.Application, epoch, request.Message,
            null, null, null, MailboxExpiry.ExpiryOf(time.GetUtcNow(), options.Value.MessageRetention))
        {
            SealedKey = request.DeliveryKey,
        };
        return DeliveryEndpoints.Answer(await groups.SubmitAsync(submission, cancellationToken), request.Id, metrics, connections,
            InvalidCredential);
    }

    /// <summary>The problem with <paramref name="message"/> as a sealed send, if any: it must decode as an MLSMessage carrying a
    /// PrivateMessage of content type application for this group. Commits and proposals go authenticated, so the server can
    /// check and order them.</summary>
    internal static (MlsMessage? Message, ProblemHttpResult? Problem) Classify(GroupId id, byte[] message)
    {
        MlsMessage decoded;
        try
        {
            decoded = MlsMessage.Decode(message);
        }
        catch (MlsDecodeException)
        {
            return (null, Problem.BadRequest(ProblemCodes.MalformedMlsMessage, "The message does not decode as an MLSMessage."));
        }
        if (decoded.PrivateMessage is not { ContentType: ContentType.Application } pm)
        {
            return (null, Problem.Unprocessable(ProblemCodes.NotSealable,
                "Only application messages (PrivateMessage) may be sent sealed; commits and proposals go through POST /v1/groups/{groupId}/messages."));
        }
        if (GroupId.FromBytes(pm.GroupId) != id)
        {
            return (null, Problem.BadRequest(ProblemCodes.GroupMismatch, "The message belongs to another group than the URL names."));
        }
        return (decoded, null);
    }

    private static byte[] GroupIdBytes(GroupId id) => System.Buffers.Text.Base64Url.DecodeFromChars(id.Value);
}
