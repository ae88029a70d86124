// Runs the Parley server: dotnet run --project src/Parley.Server -- --data DIR --urls http://127.0.0.1:PORT
return await Parley.Server.ParleyServer.RunAsync(args, CancellationToken.None);
