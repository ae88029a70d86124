// The MLS interop client: `dotnet run --project tools/Parley.Mls.Interop -- --port N` serves the
// MLSClient gRPC service on 127.0.0.1:N (HTTP/2 without TLS) for the mls-implementations test runner.
using Parley.Mls.Interop;

var builder = WebApplication.CreateSlimBuilder(args);
if (!InteropHost.TryReadPort(builder.Configuration, out int port, out string? problem))
{
    Console.Error.WriteLine(problem);
    return 2;
}
builder.AddMlsInterop(port);

var app = builder.Build();
app.MapGrpcService<MlsClientService>();
await app.RunAsync();
return 0;
