// The search for the highest sustained rate: double from a start rate until a step fails, then halve the interval
// between the best pass and the first failure until they are within 10 %.
namespace Parley.Load;

/// <summary>The state of one target's search for the highest rate that holds p99 under a bound with nothing lost.</summary>
internal sealed class RateSearch(double startRate, double p99BoundMs, int maxSteps)
{
    private double? _good, _bad;
    private int _steps;

    /// <summary>The rate to try next.</summary>
    public double Next { get; private set; } = startRate;

    /// <summary>True once the interval is narrow enough or the steps are used up.</summary>
    public bool Done { get; private set; }

    /// <summary>The highest passing step so far.</summary>
    public RelayStep? Best { get; private set; }

    public List<RelayStep> Steps { get; } = [];

    public void Record(RelayStep step)
    {
        Steps.Add(step);
        bool pass = step.Sustained(p99BoundMs);
        Console.Error.WriteLine((pass ? "pass  " : "fail  ") + step.Line());
        if (pass)
        {
            _good = Next;
            if (Best is null || step.TargetRate > Best.TargetRate)
            {
                Best = step;
            }
        }
        else
        {
            _bad = Next;
        }
        _steps++;
        Next = Math.Round((_good, _bad) switch
        {
            ({ } g, { } b) => (g + b) / 2,
            ({ } g, null) => g * 2,
            (null, { } b) => b / 2,
            _ => Next,
        });
        Done = _steps >= maxSteps || Next < 1 || (_good is { } good && _bad is { } bad && (bad - good) / good < 0.1);
    }
}
