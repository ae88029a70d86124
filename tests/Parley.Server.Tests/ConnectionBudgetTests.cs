using System.Globalization;
using System.Net;
using System.Net.WebSockets;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Parley.Server.Operations;

namespace Parley.Server.Tests;

public sealed class ConnectionBudgetTests : IAsyncLifetime
{
    private const int Budget = 5;

    private readonly ServerFactory _server = new(settings: new Dictionary<string, string?>
    {
        ["Parley:MaxConnections"] = Budget.ToString(CultureInfo.InvariantCulture),
    });

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task A_device_websocket_over_the_budget_gets_503_server_full_while_http_answers_and_a_closed_socket_frees_its_place()
    {
        var devices = new List<TestDevice>();
        for (int i = 0; i <= Budget; i++)
        {
            devices.Add((await TestUser.RegisterAsync(_server)).Device);
        }
        var sockets = new List<WebSocket>();
        for (int i = 0; i < Budget; i++)
        {
            sockets.Add(await TestSockets.ConnectAsync(_server, devices[i]));
        }
        TestDevice last = devices[Budget];

        var refused = await Assert.ThrowsAnyAsync<Exception>(() => TestSockets.ConnectAsync(_server, last));
        Assert.Contains("503", refused.Message, StringComparison.Ordinal);
        HttpContext answer = await _server.Server.SendAsync(context =>
        {
            context.Request.Method = HttpMethods.Get;
            context.Request.Path = "/v1/ws";
            context.Request.Headers.Authorization = "Bearer " + last.Credential;
            context.Features.Set<IHttpWebSocketFeature>(new UpgradeNotToBeAccepted());
        });
        Assert.Equal(StatusCodes.Status503ServiceUnavailable, answer.Response.StatusCode);
        Assert.True(int.TryParse(answer.Response.Headers.RetryAfter, CultureInfo.InvariantCulture, out int seconds) && seconds > 0,
            $"Retry-After: '{answer.Response.Headers.RetryAfter}'");
        JsonElement problem = await JsonSerializer.DeserializeAsync<JsonElement>(answer.Response.Body);
        Assert.Equal("server_full", problem.GetProperty("code").GetString());

        using HttpClient anonymous = _server.CreateClient();
        using (HttpResponseMessage health = await anonymous.GetAsync("/healthz"))
        {
            Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        }
        using (HttpResponseMessage mailbox = await last.Client.GetAsync("/v1/mailbox"))
        {
            Assert.Equal(HttpStatusCode.OK, mailbox.StatusCode);
        }

        await sockets[0].CloseAsync(WebSocketCloseStatus.NormalClosure, "bye", CancellationToken.None);
        ConnectionBudget budget = _server.Services.GetRequiredService<ConnectionBudget>();
        await MailboxTests.WaitUntilAsync(() => Task.FromResult(budget.OpenWebSockets < Budget));
        using WebSocket admitted = await TestSockets.ConnectAsync(_server, last);
        Assert.Equal(WebSocketState.Open, admitted.State);
        Assert.Equal(Budget, budget.OpenWebSockets);
        foreach (WebSocket socket in sockets)
        {
            socket.Dispose();
        }
    }

    [Theory]
    [InlineData(400, 190)]
    [InlineData(1024, 270)]
    [InlineData(1200, 270)]
    [InlineData(20000, 270)]
    [InlineData(1048576, 400)]
    public void The_derived_budget_leaves_files_for_the_rest_of_the_process_and_room_for_http(long fileLimit, int openFiles)
    {
        var (webSockets, connections) = ConnectionBudget.Derive(fileLimit, openFiles);

        Assert.InRange(webSockets, 1, connections - Math.Min(64, connections / 2));
        long spare = fileLimit - openFiles - connections;
        Assert.True(spare >= Math.Min(256, (fileLimit - openFiles) * 3 / 4), $"only {spare} files spare");
        Assert.True(spare >= fileLimit / 10 || fileLimit - openFiles < 2 * 256, $"only {spare} files spare");
    }

    /// <summary>A WebSocket request whose upgrade must never be accepted: lets the test read the refusal's headers and body,
    /// which the test server's WebSocket client does not show.</summary>
    private sealed class UpgradeNotToBeAccepted : IHttpWebSocketFeature
    {
        public bool IsWebSocketRequest => true;

        public Task<WebSocket> AcceptAsync(WebSocketAcceptContext context)
            => throw new InvalidOperationException("The server accepted a WebSocket over its connection budget.");
    }
}
