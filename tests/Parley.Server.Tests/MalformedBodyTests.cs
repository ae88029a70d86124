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

    private List<(string Method, string Path, Type Body, bool Operator)> JsonEndpoints()
    {
        var routes = _server.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>();
        var found = new List<(string, string, Type, bool)>();
        foreach (RouteEndpoint endpoint in routes)
        {
            if (endpoint.Metadata.GetMetadata<IAcceptsMetadata>() is not { RequestType: { } body } accepts
                || !accepts.ContentTypes.Contains("application/json")
                || endpoint.Metadata.GetMetadata<IHttpMethodMetadata>() is not { } methods)
            {
                continue;
            }
            string path = "/" + string.Join('/', endpoint.RoutePattern.PathSegments.Select(segment => string.Concat(segment.Parts.Select(part => part switch
            {
                Microsoft.AspNetCore.Routing.Patterns.RoutePatternLiteralPart literal => literal.Content,
                Microsoft.AspNetCore.Routing.Patterns.RoutePatternParameterPart parameter => ValueFor(parameter.Name),
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

    private Task<HttpResponseMessage> SendAsync(TestUser user, string method, string path, string json, bool isOperator)
    {
        var request = new HttpRequestMessage(new HttpMethod(method), path)
        {
            Content = new ByteArrayContent(Encoding.UTF8.GetBytes(json)),
        };
        request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        if (isOperator)
        {
            request.Headers.TryAddWithoutValidation("Authorization", _operator.HeaderFor(method, path,
                _server.Time.GetUtcNow().ToUnixTimeSeconds(), TestOperator.NewNonce(), Encoding.UTF8.GetBytes(json)));
            HttpClient anonymous = _server.CreateClient();
            return SendAndDisposeAsync(anonymous, request);
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
