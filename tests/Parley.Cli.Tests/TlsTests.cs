using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Parley.Cli.Tests;

/// <summary>Kestrel serving TLS itself, configured as docs/self-hosting.md shows: a certificate and key in PEM files
/// (as certbot writes them) given through settings.</summary>
public sealed class TlsTests
{
    [Fact]
    public async Task The_server_serves_https_with_a_certificate_given_in_settings()
    {
        using var temp = new TempDirectory();
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        names.AddDnsName("localhost");
        request.CertificateExtensions.Add(names.Build());
        using X509Certificate2 certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        await File.WriteAllTextAsync(temp.Sub("fullchain.pem"), certificate.ExportCertificatePem());
        await File.WriteAllTextAsync(temp.Sub("privkey.pem"), key.ExportPkcs8PrivateKeyPem());

        await using var server = await ServerProcess.StartOnAsync(temp.Sub("server"), "https://127.0.0.1:0",
            ["--Kestrel:Certificates:Default:Path", temp.Sub("fullchain.pem"), "--Kestrel:Certificates:Default:KeyPath", temp.Sub("privkey.pem")]);
        Assert.Equal("https", server.Address.Scheme);

        // Trust exactly this certificate, as a client pinning the server's would.
        string? presented = null;
        using var handler = new HttpClientHandler
        {
            ServerCertificateCustomValidationCallback = (_, cert, _, _) =>
            {
                presented = cert?.Thumbprint;
                return cert?.Thumbprint == certificate.Thumbprint;
            },
        };
        using var https = new HttpClient(handler) { BaseAddress = server.Address };
        using var health = await https.GetAsync("/healthz");
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        Assert.Equal(certificate.Thumbprint, presented);
        using var challenge = await https.PostAsync("/v1/challenges", null);
        Assert.True(challenge.IsSuccessStatusCode, challenge.StatusCode.ToString());

        // The same port does not answer plain HTTP with the API.
        using var plain = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{server.Address.Port}") };
        await Assert.ThrowsAnyAsync<HttpRequestException>(() => plain.GetStringAsync("/healthz"));
    }
}
