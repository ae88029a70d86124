// Parley server protocol v1, "POST /v1/reports" and "/v1/blocks" (docs/server-protocol.md): the device's side.
using System.Net.Http.Json;

namespace Parley.Client.Network;

public sealed partial class ParleyServerClient
{
    /// <summary>POST /v1/reports: reports a received message; the server checks it against its stamp and the
    /// sender's commitment (422 <c>invalid_report</c> when it does not match).</summary>
    public Task<ReportResponse> SubmitReportAsync(ReportRequest request, CancellationToken cancellationToken = default)
        => SendAsync(HttpMethod.Post, "v1/reports", JsonContent.Create(request, SafetyJsonContext.Default.ReportRequest),
            SafetyJsonContext.Default.ReportResponse, cancellationToken);

    /// <summary>PUT /v1/blocks/{username}: the server stops delivering that account's 1:1 messages and invitations.</summary>
    public Task BlockAsync(string username, CancellationToken cancellationToken = default)
        => SendAsync(HttpMethod.Put, $"v1/blocks/{Uri.EscapeDataString(username)}", null, cancellationToken);

    /// <summary>DELETE /v1/blocks/{username}.</summary>
    public Task UnblockAsync(string username, CancellationToken cancellationToken = default)
        => SendAsync(HttpMethod.Delete, $"v1/blocks/{Uri.EscapeDataString(username)}", null, cancellationToken);

    /// <summary>GET /v1/blocks: the accounts the caller's account blocks.</summary>
    public async Task<IReadOnlyList<string>> GetBlocksAsync(CancellationToken cancellationToken = default)
        => (await SendAsync(HttpMethod.Get, "v1/blocks", null, SafetyJsonContext.Default.BlockListResponse, cancellationToken)).Blocked;
}
