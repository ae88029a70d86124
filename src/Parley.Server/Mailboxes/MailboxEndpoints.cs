using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using Parley.Server.Delivery;
using Parley.Server.Devices;
using Parley.Server.Http;
using Parley.Server.Operations;

namespace Parley.Server.Mailboxes;

/// <summary>Reading and acknowledging the caller's own mailbox over HTTP (the WebSocket does the
/// same by push). There is no way to name another device's mailbox. A channel subscriber's queue reads its own the same way
/// (docs/channels.md, "Subscriber queues").</summary>
public static class MailboxEndpoints
{
    /// <summary>Largest page size.</summary>
    public const int MaxPage = 500;

    public static IEndpointRouteBuilder MapMailboxEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/v1/mailbox", Read).RequireAuthorization(DeviceAuthenticationHandler.MemberPolicy)
            .WithSummary("Returns the caller's undelivered messages, oldest first.");
        app.MapDelete("/v1/mailbox/{id}", Acknowledge).RequireAuthorization(DeviceAuthenticationHandler.MemberPolicy)
            .WithSummary("Acknowledges (deletes) one message of the caller's mailbox.");
        return app;
    }

    private static async Task<Results<Ok<MailboxResponse>, ProblemHttpResult>> Read(
        ClaimsPrincipal user, IMailboxStore mailbox, TimeProvider time, CancellationToken cancellationToken, long after = 0, int limit = 100)
    {
        DeviceId device = DevicePrincipal.Sender(user);
        if (after < 0 || limit is < 1 or > MaxPage)
        {
            return Problem.BadRequest(ProblemCodes.MalformedRequest, $"'after' must be at least 0 and 'limit' between 1 and {MaxPage}.");
        }
        IReadOnlyList<MailboxMessage> messages = await mailbox.ReadAsync(device, after, limit, time.GetUtcNow(), cancellationToken);
        return TypedResults.Ok(new MailboxResponse(messages.Select(m => new MailboxEntry("message", m.Sequence, m.Id, m.Message, m.Stamp)).ToList()));
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> Acknowledge(
        string id, ClaimsPrincipal user, IMailboxStore mailbox, ServerMetrics metrics, CancellationToken cancellationToken)
    {
        DeviceId device = DevicePrincipal.Sender(user);
        if (!MessageIdRules.IsValid(id) || !await mailbox.AcknowledgeAsync(device, id, cancellationToken))
        {
            return Problem.NotFound(ProblemCodes.MessageNotFound, "Your mailbox holds no message with this id.");
        }
        metrics.MessageDelivered();
        return TypedResults.NoContent();
    }
}
