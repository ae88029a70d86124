// Replays every seed and every input a fuzzer once crashed a decoder with (tests/Parley.Fuzz/Regressions)
// through its target in this process: a regression shows here even where afl-fuzz is not installed.
using Xunit;

namespace Parley.Fuzz.Tests;

public sealed class CorpusReplayTests
{
    public static TheoryData<string> Targets => new(FuzzTargets.All.Select(t => t.Name));

    [Theory]
    [MemberData(nameof(Targets))]
    public void Every_seed_and_regression_input_decodes_without_a_crash(string target)
    {
        var fuzzTarget = FuzzTargets.Get(target);
        var inputs = Repository.Files(Repository.Corpus(target)).Concat(Repository.Files(Repository.Regressions(target))).ToList();
        Assert.NotEmpty(inputs);

        var crashes = new List<string>();
        foreach (string file in inputs)
        {
            try
            {
                fuzzTarget.Run(File.ReadAllBytes(file));
            }
            catch (Exception e)
            {
                crashes.Add($"{Path.GetRelativePath(Repository.Root, file)}: {e.GetType().Name}: {e.Message}");
            }
        }
        Assert.True(crashes.Count == 0, string.Join(Environment.NewLine, crashes));
    }

    [Theory]
    [MemberData(nameof(Targets))]
    public void Every_target_has_a_small_seed_corpus(string target)
    {
        var seeds = Repository.Files(Repository.Corpus(target)).ToList();
        Assert.NotEmpty(seeds);
        Assert.All(seeds, seed => Assert.InRange(new FileInfo(seed).Length, 1, 8 * 1024));
    }

    [Fact]
    public void Every_corpus_and_regression_folder_names_a_target()
    {
        var names = FuzzTargets.All.Select(t => t.Name).ToHashSet();
        foreach (string folder in new[] { "Corpus", "Regressions" })
        {
            string path = Path.Combine(Repository.Root, "tests", "Parley.Fuzz", folder);
            var unknown = Directory.Exists(path)
                ? Directory.GetDirectories(path).Select(Path.GetFileName).Where(n => !names.Contains(n!)).ToList()
                : [];
            Assert.Empty(unknown);
        }
    }
}
