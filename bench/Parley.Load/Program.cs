// Load generator for the Parley server, loopback only. Modes:
//
//   clients  (default) real ParleyClient devices (encrypted store, MLS, WebSocket) in 1:1 chats or groups
//            [--devices 20] [--group-size 2] [--messages 100] [--duration 60] [--engine sqlite|postgres] [--nodes 1] [--server URL]
//   relay    1:1 pairs over the raw protocol with real MLS, on one target, at a rate or searching for the highest
//            rate with p99 under a bound: --target parley|ejabberd|echo [--devices 100] [--seconds 10] [--rate R | --search]
//            [--p99 100] [--start-rate 200] [--max-steps 10] [--engine sqlite|postgres] [--nodes 1]
//            [--unpadded: messages without the padding ParleyClient gives them, to measure its cost]
//            [--warmup 3: seconds of traffic at the start rate before measuring; the server's tiered JIT is still
//            compiling the hot path after 3 s on a busy machine, so CPU per message needs 20 or more there]
//            --target parley-sealed: Parley with every message sent sealed (docs/protocol.md, "Sealed sending")
//            Parley's devices ask for binary delivery frames (parley.binary.v1); parley-json / parley-sealed-json keep JSON
//            frames; parley-baseline / parley-sealed-baseline run the server build $PARLEY_BASELINE_DLL (before/after in one run)
//            parley-pg (1 node) and parley-pg2 (2 nodes, PostgreSQL + Redis) beside parley on SQLite, whatever --engine says
//   compare  relay on parley, ejabberd and echo with the same options, step by step in turns, and the ratios
//            [--targets parley,ejabberd,echo] [--noisy 25] [--retries 2]; --targets parley,parley-sealed gives sealed
//            sending's cost as the ratio of the two
//   idle     N idle authenticated connections on one server and its memory per connection [--target parley|ejabberd|echo]
//            [--warm W: open W connections first, so the figure leaves out first-connection costs]
//            [--inspect CMD: runs "CMD <server pid> before|after" at each memory reading, e.g. a heap dump]
//            [--connections 1000] [--per-address 5000] [--hold 10] [--parallel 32] [--connect-parallel 64]
//   fanout   one poster, a group of N members, time until every copy is stored and pushed [--members 1000] [--posts 5]
//   clients  also takes --default-limits (keep the server's rate limits, to see them bite)
//
// Every mode takes --json for a machine-readable report. The server is started here (src/Parley.Cli's Release build,
// or $PARLEY_SERVER_DLL) with its rate limits lifted; PostgreSQL and Redis come from scripts/postgres.sh and
// scripts/redis.sh, ejabberd from scripts/ejabberd.sh, the echo relay from bench/Parley.Echo's Release build.
using Parley.Load;

string mode = args.Length > 0 && !args[0].StartsWith("--", StringComparison.Ordinal) ? args[0] : "clients";
var options = new LoadArgs(args);
using var cancel = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    cancel.Cancel();
};
return mode switch
{
    "clients" => await ClientRun.RunAsync(options, cancel.Token),
    "relay" => await RelayRun.RunAsync(options, cancel.Token),
    "compare" => await RelayRun.CompareAsync(options, cancel.Token),
    "idle" => await IdleRun.RunAsync(options, cancel.Token),
    "fanout" => await FanoutRun.RunAsync(options, cancel.Token),
    _ => Usage(),
};

static int Usage()
{
    Console.Error.WriteLine("Modes: clients (default), relay, compare, idle, fanout. See the top of bench/Parley.Load/Program.cs.");
    return 2;
}
