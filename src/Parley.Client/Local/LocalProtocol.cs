// The local endpoint's wire format (docs/local-endpoint.md): one JSON object per line over the home's Unix socket.
// A request names a command line and the caller's working folder; the response carries what the command wrote and
// its exit code. Decoding never trusts its input: sizes are bounded, every field is checked, unknown or repeated
// fields are refused, and the one exception callers catch is LocalProtocolException.
using System.Buffers;
using System.Text;
using System.Text.Json;

namespace Parley.Client.Local;

/// <summary>A command line to run on the device that holds the home.</summary>
/// <param name="Arguments">The command line, without the program name (e.g. <c>send bob hello</c>).</param>
/// <param name="WorkingDirectory">The caller's working folder (an absolute path): relative paths in the arguments
/// are resolved against it.</param>
public sealed record LocalRequest(IReadOnlyList<string> Arguments, string WorkingDirectory);

/// <summary>What a command run for a <see cref="LocalRequest"/> did.</summary>
/// <param name="ExitCode">The command's exit code (0 to 255).</param>
/// <param name="Output">What it wrote to standard output.</param>
/// <param name="Error">What it wrote to standard error.</param>
/// <param name="Problem">Set when the endpoint refused the request itself (it was not run): a stable code such as
/// <c>bad_request</c>.</param>
public sealed record LocalResponse(int ExitCode, string Output, string Error, string? Problem = null);

/// <summary>A line on the local endpoint that is not a valid request or response; nothing was run.</summary>
public sealed class LocalProtocolException : Exception
{
    public LocalProtocolException()
    {
    }

    public LocalProtocolException(string message) : base(message)
    {
    }

    public LocalProtocolException(string message, Exception innerException) : base(message, innerException)
    {
    }
}

/// <summary>Encodes and decodes the local endpoint's JSON lines.</summary>
public static class LocalProtocol
{
    /// <summary>The protocol version every line carries as <c>"v"</c>.</summary>
    public const int Version = 1;

    /// <summary>The longest request line, newline excluded (a long message text fits; a file travels by path).</summary>
    public const int MaxRequestBytes = 1024 * 1024;

    /// <summary>The longest response line, newline excluded.</summary>
    public const int MaxResponseBytes = 64 * 1024 * 1024;

    /// <summary>The most arguments a request may carry.</summary>
    public const int MaxArguments = 256;

    private static readonly JsonReaderOptions ReaderOptions = new() { MaxDepth = 4, CommentHandling = JsonCommentHandling.Disallow };

    /// <summary>The request as one line (UTF-8 JSON and a newline).</summary>
    public static byte[] EncodeRequest(LocalRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        return Encode(w =>
        {
            w.WriteNumber("v", Version);
            w.WriteStartArray("args");
            foreach (string argument in request.Arguments)
            {
                w.WriteStringValue(argument);
            }
            w.WriteEndArray();
            w.WriteString("cwd", request.WorkingDirectory);
        });
    }

    /// <summary>The response as one line (UTF-8 JSON and a newline).</summary>
    public static byte[] EncodeResponse(LocalResponse response)
    {
        ArgumentNullException.ThrowIfNull(response);
        return Encode(w =>
        {
            w.WriteNumber("v", Version);
            w.WriteNumber("exit", response.ExitCode);
            w.WriteString("stdout", response.Output);
            w.WriteString("stderr", response.Error);
            if (response.Problem is not null)
            {
                w.WriteString("problem", response.Problem);
            }
        });
    }

    /// <summary>Decodes one request line (without its newline). Throws <see cref="LocalProtocolException"/> unless it
    /// is an object with exactly <c>v</c> (1), <c>args</c> (1 to 256 strings without NUL) and <c>cwd</c> (an absolute
    /// path).</summary>
    public static LocalRequest DecodeRequest(ReadOnlySpan<byte> line)
    {
        if (line.Length > MaxRequestBytes)
        {
            throw new LocalProtocolException($"The request is longer than {MaxRequestBytes} bytes.");
        }
        List<string>? arguments = null;
        string? cwd = null;
        DecodeObject(line, (name, ref reader) =>
        {
            switch (name)
            {
                case "args":
                    arguments = ReadStrings(ref reader);
                    break;
                case "cwd":
                    cwd = ReadString(ref reader, "cwd");
                    break;
                default:
                    return false;
            }
            return true;
        });
        if (arguments is null || cwd is null)
        {
            throw new LocalProtocolException("The request needs \"args\" and \"cwd\".");
        }
        if (arguments.Count == 0)
        {
            throw new LocalProtocolException("The request names no command.");
        }
        if (!Path.IsPathFullyQualified(cwd))
        {
            throw new LocalProtocolException("The request's \"cwd\" is not an absolute path.");
        }
        return new LocalRequest(arguments, cwd);
    }

    /// <summary>Decodes one response line (without its newline). Throws <see cref="LocalProtocolException"/> unless it
    /// is an object with <c>v</c> (1), <c>exit</c> (0 to 255), <c>stdout</c>, <c>stderr</c> and optionally
    /// <c>problem</c>.</summary>
    public static LocalResponse DecodeResponse(ReadOnlySpan<byte> line)
    {
        if (line.Length > MaxResponseBytes)
        {
            throw new LocalProtocolException($"The response is longer than {MaxResponseBytes} bytes.");
        }
        int? exit = null;
        string? output = null, error = null, problem = null;
        DecodeObject(line, (name, ref reader) =>
        {
            switch (name)
            {
                case "exit":
                    if (reader.TokenType != JsonTokenType.Number || !reader.TryGetInt32(out int code) || code is < 0 or > 255)
                    {
                        throw new LocalProtocolException("The response's \"exit\" is not an exit code (0 to 255).");
                    }
                    exit = code;
                    break;
                case "stdout":
                    output = ReadString(ref reader, "stdout");
                    break;
                case "stderr":
                    error = ReadString(ref reader, "stderr");
                    break;
                case "problem":
                    problem = ReadString(ref reader, "problem");
                    break;
                default:
                    return false;
            }
            return true;
        });
        if (exit is null || output is null || error is null)
        {
            throw new LocalProtocolException("The response needs \"exit\", \"stdout\" and \"stderr\".");
        }
        return new LocalResponse(exit.Value, output, error, problem);
    }

    private delegate bool FieldReader(string name, ref Utf8JsonReader reader);

    // Reads one object whose first field may be anywhere: "v" must be present and 1, each other field is handed to
    // readField (false: unknown), and nothing may follow the object.
    private static void DecodeObject(ReadOnlySpan<byte> line, FieldReader readField)
    {
        try
        {
            var reader = new Utf8JsonReader(line, ReaderOptions);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                throw new LocalProtocolException("A line must be one JSON object.");
            }
            var seen = new HashSet<string>(StringComparer.Ordinal);
            while (true)
            {
                Next(ref reader);
                if (reader.TokenType == JsonTokenType.EndObject)
                {
                    break;
                }
                string name = reader.GetString()!;
                if (!seen.Add(name))
                {
                    throw new LocalProtocolException($"The field \"{Printable(name)}\" appears twice.");
                }
                Next(ref reader);
                if (name == "v")
                {
                    if (reader.TokenType != JsonTokenType.Number || !reader.TryGetInt32(out int version) || version != Version)
                    {
                        throw new LocalProtocolException($"This Parley speaks version {Version} of the local protocol.");
                    }
                }
                else if (!readField(name, ref reader))
                {
                    throw new LocalProtocolException($"Unknown field \"{Printable(name)}\".");
                }
            }
            if (!seen.Contains("v"))
            {
                throw new LocalProtocolException("The line has no version (\"v\").");
            }
            if (reader.Read())
            {
                throw new LocalProtocolException("Something follows the JSON object.");
            }
        }
        catch (JsonException e)
        {
            throw new LocalProtocolException("The line is not valid JSON.", e);
        }
        catch (InvalidOperationException e)
        {
            // GetString on invalid UTF-8 or a lone surrogate escape.
            throw new LocalProtocolException("The line holds a string that is not valid text.", e);
        }
    }

    private static void Next(ref Utf8JsonReader reader)
    {
        if (!reader.Read())
        {
            throw new LocalProtocolException("The line ends inside the JSON object.");
        }
    }

    private static string ReadString(ref Utf8JsonReader reader, string field)
    {
        if (reader.TokenType != JsonTokenType.String)
        {
            throw new LocalProtocolException($"\"{field}\" must be a string.");
        }
        string value = reader.GetString()!;
        if (value.Contains('\0', StringComparison.Ordinal))
        {
            throw new LocalProtocolException($"\"{field}\" contains a NUL character.");
        }
        return value;
    }

    private static List<string> ReadStrings(ref Utf8JsonReader reader)
    {
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            throw new LocalProtocolException("\"args\" must be an array of strings.");
        }
        var values = new List<string>();
        while (true)
        {
            Next(ref reader);
            if (reader.TokenType == JsonTokenType.EndArray)
            {
                return values;
            }
            if (values.Count == MaxArguments)
            {
                throw new LocalProtocolException($"A request carries at most {MaxArguments} arguments.");
            }
            values.Add(ReadString(ref reader, "args"));
        }
    }

    // A field name from the wire, shortened and stripped of control characters, for an error sentence.
    private static string Printable(string name)
    {
        var text = new StringBuilder();
        foreach (char c in name.Length > 40 ? name[..40] : name)
        {
            text.Append(char.IsControl(c) ? '?' : c);
        }
        return text.ToString();
    }

    private static byte[] Encode(Action<Utf8JsonWriter> fields)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            fields(writer);
            writer.WriteEndObject();
        }
        return [.. buffer.WrittenSpan, (byte)'\n'];
    }
}
