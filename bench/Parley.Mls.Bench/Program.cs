using BenchmarkDotNet.Running;
using Parley.Mls.Bench;

// dotnet run -c Release --project bench/Parley.Mls.Bench -- --filter '*'
// dotnet run -c Release --project bench/Parley.Mls.Bench -- sizes [2,16,128,1024]   (suite 1 and 83 wire sizes)
// dotnet run -c Release --project bench/Parley.Mls.Bench -- loop commit|protect MEMBERS added|populated SECONDS  (for a profiler)
if (args is ["loop", var operation, var members, var shape, var seconds])
{
    ProfileLoop.Run(operation, int.Parse(members), shape, double.Parse(seconds));
    return;
}
if (args is ["sizes", ..])
{
    PostQuantumSizes.Print(args.Length > 1 ? args[1].Split(',').Select(int.Parse).ToArray() : [2, 16, 128, 1024]);
    return;
}

BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
