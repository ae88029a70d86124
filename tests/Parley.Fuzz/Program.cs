// The fuzz driver: `fuzz TARGET` runs under afl-fuzz (SharpFuzz's out-of-process fork server, so a stack
// overflow or a hang in one input is reported as that input's crash or timeout); `replay` runs inputs once
// in this process; `seed` writes the seed corpus; `list` names the targets.
using Parley.Fuzz;
using SharpFuzz;

switch (args)
{
    case ["list"]:
        foreach (var target in FuzzTargets.All)
        {
            Console.WriteLine($"{target.Name}\t{target.Reads}");
        }
        return 0;
    case ["fuzz", string name]:
    {
        var target = FuzzTargets.Get(name);
        Fuzzer.OutOfProcess.Run(stream =>
        {
            using var buffer = new MemoryStream();
            stream.CopyTo(buffer);
            target.Run(buffer.ToArray());
        });
        return 0;
    }
    case ["replay", string name, .. var paths] when paths.Length > 0:
    {
        var target = FuzzTargets.Get(name);
        int crashes = 0;
        foreach (string file in paths.SelectMany(p => Directory.Exists(p) ? Directory.GetFiles(p) : [p]).Order(StringComparer.Ordinal))
        {
            try
            {
                target.Run(File.ReadAllBytes(file));
            }
            catch (Exception e)
            {
                crashes++;
                Console.Error.WriteLine($"{file}: {e}");
            }
        }
        return crashes == 0 ? 0 : 1;
    }
    case ["seed", string corpus, string vectors]:
        SeedCorpus.Write(corpus, vectors);
        return 0;
    default:
        Console.Error.WriteLine("usage: Parley.Fuzz list | fuzz TARGET | replay TARGET FILE_OR_DIR... | seed CORPUS_DIR VECTORS_DIR");
        return 2;
}
