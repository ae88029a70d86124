using Parley.Fuzz.Targets;

namespace Parley.Fuzz;

/// <summary>Every fuzz target, by name.</summary>
public static class FuzzTargets
{
    /// <summary>All targets in a stable order (the order scripts/fuzz.sh all runs them).</summary>
    public static IReadOnlyList<FuzzTarget> All { get; } =
        [.. MlsTargets.All(), .. ContentTargets.All(), .. ClientTargets.All(), .. ServerTargets.All()];

    /// <summary>The target called <paramref name="name"/>; throws <see cref="ArgumentException"/> for an unknown name.</summary>
    public static FuzzTarget Get(string name)
        => All.FirstOrDefault(t => t.Name == name)
           ?? throw new ArgumentException($"There is no fuzz target '{name}'; known: {string.Join(", ", All.Select(t => t.Name))}.", nameof(name));
}
