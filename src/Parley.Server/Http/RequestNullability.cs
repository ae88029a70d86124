// docs/server-protocol.md, "Errors": a request body that breaks its contract is 400 malformed_request.
//
// The request records (…Contracts.cs) are the contract, and their nullable annotations are part of it: a member, or an
// element of a list, declared without '?' must be present and not null. System.Text.Json turns bad JSON and wrong types
// into a 400 already, but it fills a non-nullable member with null when the JSON says null or leaves it out, and it never
// looks at list elements ("attachments":[null]); a handler that trusted the annotation then failed with a 500. This
// filter checks the bound body against the annotations before any handler runs, so none has to.
using System.Collections;
using System.Collections.Concurrent;
using System.Reflection;

namespace Parley.Server.Http;

/// <summary>Refuses a JSON request body with a null where its contract record declares none (members and list elements,
/// nested records included) with 400 <c>malformed_request</c>, naming the member.</summary>
public static class RequestNullability
{
    private static readonly ConcurrentDictionary<Type, Member[]> Shapes = new();
    private static readonly Assembly Contracts = typeof(RequestNullability).Assembly;

    /// <summary>Adds the check to every endpoint under <paramref name="builder"/> that binds a JSON body; endpoints without
    /// one are left untouched.</summary>
    public static TBuilder RequireBodiesToMatchNullability<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder
        => builder.AddEndpointFilterFactory(static (context, next) =>
        {
            // The body is the one parameter of a contract type that is not a service (minimal APIs bind such a parameter
            // from the JSON body).
            IServiceProviderIsService? services = context.ApplicationServices.GetService<IServiceProviderIsService>();
            int index = Array.FindIndex(context.MethodInfo.GetParameters(),
                p => IsContract(p.ParameterType) && services?.IsService(p.ParameterType) != true);
            if (index < 0)
            {
                return next;
            }
            return async invocation =>
            {
                string? missing = invocation.Arguments[index] is { } value ? FirstNull(value, "") : null;
                return missing is null
                    ? await next(invocation)
                    : Problem.BadRequest(ProblemCodes.MalformedRequest, $"'{missing}' must not be null; see docs/server-protocol.md.");
            };
        });

    /// <summary>The JSON path of the first null in <paramref name="value"/> where its type declares a non-nullable member or
    /// element, or null when there is none.</summary>
    public static string? FirstNull(object value, string path)
    {
        ArgumentNullException.ThrowIfNull(value);
        ArgumentNullException.ThrowIfNull(path);
        foreach (Member member in Shapes.GetOrAdd(value.GetType(), ShapeOf))
        {
            object? memberValue = member.Property.GetValue(value);
            string memberPath = path.Length == 0 ? member.JsonName : $"{path}.{member.JsonName}";
            if (memberValue is null)
            {
                if (member.Required)
                {
                    return memberPath;
                }
                continue;
            }
            if (member.ElementsRequired is { } elementsRequired && memberValue is IEnumerable elements)
            {
                int i = -1;
                foreach (object? element in elements)
                {
                    i++;
                    if (element is null)
                    {
                        if (elementsRequired)
                        {
                            return $"{memberPath}[{i}]";
                        }
                    }
                    else if (IsContract(element.GetType()) && FirstNull(element, $"{memberPath}[{i}]") is { } inElement)
                    {
                        return inElement;
                    }
                }
            }
            else if (IsContract(memberValue.GetType()) && FirstNull(memberValue, memberPath) is { } inner)
            {
                return inner;
            }
        }
        return null;
    }

    // Only the server's own contract records are walked, never framework types such as DateTimeOffset.
    private static bool IsContract(Type type) => type.Assembly == Contracts && type.IsClass;

    private static Member[] ShapeOf(Type type)
    {
        var nullability = new NullabilityInfoContext();
        var members = new List<Member>();
        foreach (PropertyInfo property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            if (property.GetIndexParameters().Length > 0 || property.PropertyType.IsValueType)
            {
                continue;
            }
            NullabilityInfo info = nullability.Create(property);
            NullabilityInfo? element = info.ElementType
                ?? (property.PropertyType != typeof(string) && info.GenericTypeArguments.Length == 1 ? info.GenericTypeArguments[0] : null);
            bool? elementsRequired = element is null || element.Type.IsValueType ? null : element.ReadState == NullabilityState.NotNull;
            members.Add(new Member(property, JsonNameOf(property.Name), info.ReadState == NullabilityState.NotNull, elementsRequired));
        }
        return [.. members];
    }

    // The server's JSON is camelCase (JsonSerializerDefaults.Web).
    private static string JsonNameOf(string name) => char.ToLowerInvariant(name[0]) + name[1..];

    /// <param name="ElementsRequired">For a list of references: whether its elements must not be null.</param>
    /// <param name="Property">The request type's property.</param>
    /// <param name="JsonName">Its name in the JSON body.</param>
    /// <param name="Required">Whether it must not be null.</param>
    private sealed record Member(PropertyInfo Property, string JsonName, bool Required, bool? ElementsRequired);
}
