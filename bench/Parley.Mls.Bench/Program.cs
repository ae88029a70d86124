using BenchmarkDotNet.Running;

// dotnet run -c Release --project bench/Parley.Mls.Bench -- --filter '*'
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
