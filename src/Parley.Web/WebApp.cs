// `parley web`: the app on 127.0.0.1, the one line with its address, and the browser.
using System.Diagnostics;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Parley.Web.Access;
using Parley.Web.Assets;
using Parley.Web.Components;
using Parley.Web.Device;
using Parley.Web.Files;

namespace Parley.Web;

/// <summary>Runs the local web app for one home until cancelled.</summary>
public static class WebApp
{
    /// <summary>Starts the app, prints <c>Parley web: http://127.0.0.1:PORT/?token=…</c>, opens the browser when
    /// <paramref name="openBrowser"/>, and serves until <paramref name="cancellationToken"/> fires.</summary>
    public static async Task RunAsync(WebAppOptions options, bool openBrowser, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        await using var app = Build(options, out var access, out var device);
        device.ReserveWhileLocked();
        await device.TryOpenWithEnvironmentAsync();
        await app.StartAsync(cancellationToken);
        var address = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        access.Port = address.Port;
        string url = $"http://127.0.0.1:{address.Port}/?token={access.Token}";
        await options.Output.WriteLineAsync($"Parley web: {url}");
        await options.Output.FlushAsync(cancellationToken);
        if (openBrowser)
        {
            OpenBrowser(url);
        }
        try
        {
            await Task.Delay(Timeout.Infinite, cancellationToken);
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }
        await app.StopAsync(CancellationToken.None);
        await device.DisposeAsync();
    }

    private static WebApplication Build(WebAppOptions options, out LocalAccess access, out DeviceSession device)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            ApplicationName = typeof(WebApp).Assembly.GetName().Name,
            ContentRootPath = AppContext.BaseDirectory,
            EnvironmentName = Environments.Production,
        });
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, options.Port));
        access = new LocalAccess();
        device = new DeviceSession(options);
        builder.Services.AddSingleton(access);
        builder.Services.AddSingleton(device);
        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton<BackupDownloads>();
        builder.Services.AddRazorComponents().AddInteractiveServerComponents(circuit =>
        {
            // Uploads go through the live connection in pieces; keep each message small.
            circuit.DetailedErrors = false;
        });
        builder.Services.Configure<Microsoft.AspNetCore.SignalR.HubOptions>(hub => hub.MaximumReceiveMessageSize = 64 * 1024);
        builder.Services.AddAntiforgery();
        // Circuit ids and antiforgery tokens live as long as this process: keys in memory, no key files on disk.
        builder.Services.AddDataProtection().UseEphemeralDataProtectionProvider();

        var app = builder.Build();
        app.UseLocalAccess(access);
        app.UseAntiforgery();
        app.MapEmbeddedAssets();
        app.MapFileDownloads();
        app.Services.GetRequiredService<BackupDownloads>().Map(app);
        app.MapRazorComponents<App>().AddInteractiveServerRenderMode();
        return app;
    }

    // xdg-open (Linux), open (macOS); when neither is there the printed address is enough.
    private static void OpenBrowser(string url)
    {
        foreach (string opener in new[] { "xdg-open", "open" })
        {
            try
            {
                using var process = Process.Start(new ProcessStartInfo(opener, [url])
                {
                    UseShellExecute = false,
                    RedirectStandardOutput = true,
                    RedirectStandardError = true,
                });
                return;
            }
            catch (System.ComponentModel.Win32Exception)
            {
                // Not installed: try the next.
            }
        }
    }
}
