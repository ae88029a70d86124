using System.CommandLine;
using System.Runtime.InteropServices;
using Parley.Web;

namespace Parley.Cli.Commands;

/// <summary><c>parley web [--port N] [--no-browser]</c>: the local web app for this device (docs/web.md). While it holds
/// the device open it also serves the home's local endpoint, as <c>parley listen</c> does (docs/local-endpoint.md).</summary>
internal static class WebCommand
{
    public static Command Build()
    {
        var port = new Option<int>("--port") { Description = "The port on 127.0.0.1 (default 0: any free port).", DefaultValueFactory = _ => 0 };
        var noBrowser = new Option<bool>("--no-browser") { Description = "Only print the address; do not open the default browser." };
        var command = new Command("web", "Open Parley in your browser: a local app on 127.0.0.1, until Ctrl+C.") { port, noBrowser };
        command.SetAction((parse, cancellationToken) => CliErrors.RunAsync(parse, async () =>
        {
            int chosen = parse.GetValue(port);
            if (chosen is < 0 or > 65535)
            {
                throw new FormatException($"--port {chosen} is not a port; give 1 to 65535, or 0 for any free port.");
            }
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            void Stop(PosixSignalContext context)
            {
                context.Cancel = true;
                stop.Cancel();
            }
            using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
            using var terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
            string home = GlobalOptions.HomeOf(parse);
            var options = new WebAppOptions
            {
                Home = home,
                Port = chosen,
                Passphrase = Environment.GetEnvironmentVariable("PARLEY_PASSPHRASE"),
                Server = GlobalOptions.ServerOf(parse),
                ClientOptions = CliSession.Options,
                DeviceOpened = client => LocalHost.Serve(home, client),
            };
            await WebApp.RunAsync(options, openBrowser: !parse.GetValue(noBrowser), stop.Token);
            return 0;
        }));
        return command;
    }
}
