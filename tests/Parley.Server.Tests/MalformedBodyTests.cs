using System.Collections;
using System.Reflection;
using System.Text;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Parley.Server.Moderation;
using Xunit.Abstractions;

namespace Parley.Server.Tests;

/// <summary>Every endpoint that takes a JSON body, found from the server's own route table (so a new endpoint is covered
/// without a row of its own), gets broken JSON, wrong types, nulls and nulls inside lists: each answers 400
/// problem+json <c>malformed_request</c> where the body breaks its contract, and never a 500.</summary>
public sealed class MalformedBodyTests(ITestOutputHelper output) : IAsyncLifetime
{
    private static readonly string[] BrokenJson = ["{", "not json", "", "null", "[]", "42", "\"text\"", "{\"a\":", "{\"a\":1}}", "\u0000"];

    private readonly TestOperator _operator = new();
    private ServerFactory _server = null!;

    public Task InitializeAsync()
    {
        _server = new ServerFactory(settings: _operator.Settings);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task A_report_naming_a_null_attachment_is_a_400_problem_not_a_500()
    {
        TestUser alice = await TestUser.RegisterAsync(_server);

        using var response = await alice.Device.Client.PostAsync("/v1/reports", TestHttp.RawJson("""{"attachments":[null]}"""));

        var (status, code, body) = await TestHttp.ProblemAsync(response);
        Assert.Equal((400, "malformed_request"), (status, code));
        Assert.Contains("attachments[0]", body.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Every_json_endpoint_answers_broken_json_wrong_types_and_nulls_with_a_400_problem_and_never_a_500()
    {
        TestUser alice = await TestUser.RegisterAsync(_server);
        List<(string Method, string Path, Type Body, bool Operator)> endpoints = JsonEndpoints();
        Assert.Contains(endpoints, e => e.Path == "/v1/reports");
        Assert.Contains(endpoints, e => e.Operator);
        var failures = new List<string>();

        foreach (var (method, path, body, isOperator) in endpoints)
        {
            foreach (string json in BrokenJson)
            {
                await ExpectAsync(json, mustBeMalformed: true);
            }
            bool anyRequired = false;
            foreach (PropertyInfo member in body.GetProperties(BindingFlags.Public | BindingFlags.Instance))
            {
                string name = char.ToLowerInvariant(member.Name[0]) + member.Name[1..];
                // A value-type member left out reads as its default (0, false), which the handler judges; null is never one.
                anyRequired |= !member.PropertyType.IsValueType && IsRequired(member);
                await ExpectAsync($$"""{"{{name}}":{{WrongTypeFor(member.PropertyType)}}}""", mustBeMalformed: true);
                await ExpectAsync($$"""{"{{name}}":null}""", mustBeMalformed: IsRequired(member));
                if (IsList(member.PropertyType))
                {
                    await ExpectAsync($$"""{"{{name}}":[null]}""", mustBeMalformed: true);
                    await ExpectAsync($$$"""{"{{{name}}}":[{}]}""", mustBeMalformed: ElementIsRecordWithRequiredMembers(member.PropertyType));
                }
                else if (IsRecord(member.PropertyType))
                {
                    await ExpectAsync($$$"""{"{{{name}}}":{}}""", mustBeMalformed: HasRequiredMembers(member.PropertyType));
                }
            }
            await ExpectAsync("{}", mustBeMalformed: anyRequired);

            async Task ExpectAsync(string json, bool mustBeMalformed)
            {
                using HttpResponseMessage response = await SendAsync(alice, method, path, json, isOperator);
                int status = (int)response.StatusCode;
                string text = await response.Content.ReadAsStringAsync();
                string? mediaType = response.Content.Headers.ContentType?.MediaType;
                bool problem = mediaType == "application/problem+json";
                bool malformed = status == 400 && problem && text.Contains("\"code\":\"malformed_request\"", StringComparison.Ordinal);
                if (status >= 500 || (status >= 400 && !problem) || (mustBeMalformed && !malformed))
                {
                    failures.Add($"{method} {path} {json} → {status} {mediaType} {text}");
                }
            }
        }

        output.WriteLine($"{endpoints.Count} JSON endpoints: {string.Join(", ", endpoints.Select(e => $"{e.Method} {e.Path}"))}");
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    [Theory]
    [InlineData("/v1/mailbox?after=abc")]
    [InlineData("/v1/mailbox?limit=1e9")]
    [InlineData("/v1/mailbox?after=99999999999999999999999")]
    [InlineData("/v1/public-channels/nobody-here/posts?limit=many")]
    public async Task A_query_value_of_the_wrong_type_is_a_400_problem(string pathAndQuery)
    {
        TestUser alice = await TestUser.RegisterAsync(_server);

        using var response = await alice.Device.Client.GetAsync(pathAndQuery);

        var (status, code, _) = await TestHttp.ProblemAsync(response);
        Assert.Equal((400, "malformed_request"), (status, code));
    }

    [Fact]
    public async Task Every_endpoint_answers_garbage_in_its_route_values_with_a_problem_and_never_a_500()
    {
        TestUser alice = await TestUser.RegisterAsync(_server);
        string[] garbage = ["%FF%FE", "..%2F..", "-", "A", new string('a', 300), "%E2%80%AE", "%20"];
        var failures = new List<string>();
        int requests = 0;

        foreach (string value in garbage)
        {
            foreach (var (method, path, body, isOperator) in Endpoints(_ => value))
            {
                if (!path.Contains(value, StringComparison.Ordinal))
                {
                    continue;
                }
                requests++;
                using HttpResponseMessage response = await SendAsync(alice, method, path, body is null ? null : "{}", isOperator);
                int status = (int)response.StatusCode;
                if (status >= 500 || (status >= 400 && response.Content.Headers.ContentType?.MediaType != "application/problem+json"))
                {
                    failures.Add($"{method} {path} → {status} {await response.Content.ReadAsStringAsync()}");
                }
            }
        }

        Assert.InRange(requests, 100, int.MaxValue);
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    private List<(string Method, string Path, Type Body, bool Operator)> JsonEndpoints()
        => Endpoints(ValueFor).Where(e => e.Body is not null).Select(e => (e.Method, e.Path, e.Body!, e.Operator)).ToList();

    /// <summary>Every endpoint the server routes to, with <paramref name="valueFor"/> in its route parameters, and the type
    /// of its JSON body if it takes one.</summary>
    private List<(string Method, string Path, Type? Body, bool Operator)> Endpoints(Func<string, string> valueFor)
    {
        var routes = _server.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>();
        var found = new List<(string, string, Type?, bool)>();
        foreach (RouteEndpoint endpoint in routes)
        {
            if (endpoint.Metadata.GetMetadata<IHttpMethodMetadata>() is not { } methods)
            {
                continue;
            }
            Type? body = endpoint.Metadata.GetMetadata<IAcceptsMetadata>() is { RequestType: { } type } accepts
                         && accepts.ContentTypes.Contains("application/json") ? type : null;
            string path = "/" + string.Join('/', endpoint.RoutePattern.PathSegments.Select(segment => string.Concat(segment.Parts.Select(part => part switch
            {
                Microsoft.AspNetCore.Routing.Patterns.RoutePatternLiteralPart literal => literal.Content,
                Microsoft.AspNetCore.Routing.Patterns.RoutePatternParameterPart parameter => valueFor(parameter.Name),
                _ => "",
            }))));
            bool isOperator = endpoint.Metadata.GetOrderedMetadata<IAuthorizeData>().Any(a => a.Policy == OperatorAuthentication.PolicyName);
            foreach (string method in methods.HttpMethods)
            {
                found.Add((method, path, body, isOperator));
            }
        }
        return found;
    }

    // Route values that pass every route's own syntax checks, so each request reaches the body's checks.
    private static string ValueFor(string parameter) => parameter switch
    {
        "groupId" => "AAAAAAAAAAAAAAAAAAAAAA",
        "username" or "name" => "nobody-here",
        _ => "x1",
    };

    private TestDevice? _queue;

    private Task<HttpResponseMessage> SendAsync(TestUser user, string method, string path, string? json, bool isOperator)
    {
        byte[] content = json is null ? [] : Encoding.UTF8.GetBytes(json);
        var request = new HttpRequestMessage(new HttpMethod(method), path);
        if (json is not null)
        {
            request.Content = new ByteArrayContent(content);
            request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        }
        if (isOperator)
        {
            request.Headers.TryAddWithoutValidation("Authorization", _operator.HeaderFor(method, request.RequestUri!.OriginalString,
                _server.Time.GetUtcNow().ToUnixTimeSeconds(), TestOperator.NewNonce(), content));
            HttpClient anonymous = _server.CreateClient();
            return SendAndDisposeAsync(anonymous, request);
        }
        // Joining a channel is done by a subscriber queue, never a device (docs/channels.md).
        if (path.StartsWith("/v1/invites/", StringComparison.Ordinal))
        {
            _queue ??= TestDevice.Queue(_server, user);
            return _queue.Client.SendAsync(request);
        }
        return user.Device.Client.SendAsync(request);
    }

    private static async Task<HttpResponseMessage> SendAndDisposeAsync(HttpClient client, HttpRequestMessage request)
    {
        using (client)
        {
            return await client.SendAsync(request);
        }
    }

    private static bool IsRequired(PropertyInfo member)
        => member.PropertyType.IsValueType
            ? Nullable.GetUnderlyingType(member.PropertyType) is null
            : new NullabilityInfoContext().Create(member).ReadState == NullabilityState.NotNull;

    private static bool IsList(Type type) => type != typeof(string) && type != typeof(byte[]) && typeof(IEnumerable).IsAssignableFrom(type);

    private static bool IsRecord(Type type) => type.IsClass && type != typeof(string) && type.Assembly == typeof(Http.Problem).Assembly;

    private static bool HasRequiredMembers(Type type)
        => type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Any(p => !p.PropertyType.IsValueType && IsRequired(p));

    private static bool ElementIsRecordWithRequiredMembers(Type list)
        => list.GetGenericArguments() is [{ } element] && IsRecord(element) && HasRequiredMembers(element);

    // A JSON value of a kind the member's type never reads: System.Text.Json refuses it.
    private static string WrongTypeFor(Type type)
    {
        Type underlying = Nullable.GetUnderlyingType(type) ?? type;
        return underlying == typeof(string) || underlying == typeof(byte[]) || underlying.IsPrimitive || underlying == typeof(DateTimeOffset)
            ? "{\"x\":1}"
            : "\"not an object\"";
    }
}
