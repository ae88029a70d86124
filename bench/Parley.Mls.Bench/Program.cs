using BenchmarkDotNet.Running;
using Parley.Mls.Bench;

// dotnet run -c Release --project bench/Parley.Mls.Bench -- --filter '*'
// dotnet run -c Release --project bench/Parley.Mls.Bench -- sizes [2,16,128,1024]   (suite 1 and 83 wire sizes)
if (args is ["sizes", ..])
{
    PostQuantumSizes.Print(args.Length > 1 ? args[1].Split(',').Select(int.Parse).ToArray() : [2, 16, 128, 1024]);
    return;
}

BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
