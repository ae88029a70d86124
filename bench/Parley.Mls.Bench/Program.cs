using BenchmarkDotNet.Running;
using Parley.Mls.Bench;

// dotnet run -c Release --project bench/Parley.Mls.Bench -- --filter '*'
// dotnet run -c Release --project bench/Parley.Mls.Bench -- sizes [2,16,128,1024]   (suite 1 and 83 wire sizes)
// dotnet run -c Release --project bench/Parley.Mls.Bench -- loop commit|protect MEMBERS added|populated SECONDS [SUITE]  (for a profiler)
if (args is ["loop", var operation, var members, var shape, var seconds, ..] && args.Length <= 6)
{
    ProfileLoop.Run(operation, int.Parse(members), shape, double.Parse(seconds), args.Length == 6 ? ushort.Parse(args[5]) : (ushort)1);
    return;
}
if (args is ["sizes", ..])
{
    PostQuantumSizes.Print(args.Length > 1 ? args[1].Split(',').Select(int.Parse).ToArray() : [2, 16, 128, 1024]);
    return;
}

BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
