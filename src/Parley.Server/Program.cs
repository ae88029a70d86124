// Runs the Parley server: dotnet run --project src/Parley.Cli -- serve --data DIR --urls http://127.0.0.1:PORT (or this
// project directly with the same arguments). A server that cannot start says why in one line and exits with 1.
try
{
    return await Parley.Server.ParleyServer.RunAsync(args, CancellationToken.None);
}
catch (Parley.Server.Operations.ServerStartupException e)
{
    Console.Error.WriteLine("Parley.Server: " + e.Message);
    return 1;
}
