using System.CommandLine;
using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json.Serialization;
using Parley.Client;
using Parley.Client.Moderation;
using Parley.Client.Network;
using Parley.Content;

namespace Parley.Cli.Commands;

/// <summary>An attachment of a report as <c>admin report show</c> prints it.</summary>
internal sealed record EvidenceView(int Index, string? FileName, long? Size, string? ContentType, bool Verified, string? SavedTo, string? Problem);

/// <summary>A report as <c>admin report show</c> prints it: the server's record and the decoded message.</summary>
internal sealed record AdminReportView(
    string ReportId,
    string Status,
    string Reason,
    string? Comment,
    string? Reporter,
    string? Sender,
    string? SenderDevice,
    bool Verified,
    string GroupId,
    string MessageId,
    string Kind,
    string? Text,
    DateTimeOffset? SentAt,
    DateTimeOffset? AcceptedAt,
    DateTimeOffset ReportedAt,
    string? Resolution,
    IReadOnlyList<EvidenceView> Attachments);

/// <summary>An audit log entry as <c>admin audit</c> prints it.</summary>
internal sealed record AuditView(long Sequence, DateTimeOffset At, string Action, string Target, string Reason, string Hash);

/// <summary>The audit log and whether its hash chain is intact.</summary>
internal sealed record AuditLogView(IReadOnlyList<AuditView> Entries, bool Intact, long? FirstBroken);

/// <summary>A new operator key.</summary>
internal sealed record OperatorKeyView(string PublicKey, string File);

[JsonSourceGenerationOptions(System.Text.Json.JsonSerializerDefaults.Web, WriteIndented = false, DefaultIgnoreCondition = JsonIgnoreCondition.Never)]
[JsonSerializable(typeof(List<AdminReportSummary>))]
[JsonSerializable(typeof(AdminReportView))]
[JsonSerializable(typeof(AuditLogView))]
[JsonSerializable(typeof(OperatorKeyView))]
internal sealed partial class AdminJsonContext : JsonSerializerContext;

/// <summary><c>parley admin …</c>: the server operator's commands (docs/safety.md). Every request is signed with the
/// operator key whose public half the server was started with (<c>--Parley:OperatorKey</c>).</summary>
internal static class AdminCommands
{
    public static Command Build()
    {
        var admin = new Command("admin", "Moderate a Parley server as its operator: reports, suspensions, takedowns and the audit log.");
        admin.Subcommands.Add(Keygen());
        admin.Subcommands.Add(Reports());
        admin.Subcommands.Add(ReportCommand());
        admin.Subcommands.Add(Suspend());
        admin.Subcommands.Add(Restore());
        admin.Subcommands.Add(Takedown());
        admin.Subcommands.Add(RestoreChannel());
        admin.Subcommands.Add(Audit());
        return admin;
    }

    private static Option<bool> Json() => CliOutput.JsonOption();

    private static Option<string> Required(string name, string description) => new(name) { Description = description, Required = true };

    private static Command Keygen()
    {
        var output = Required("--out", "The file to write the private key to (created readable only by you; never overwritten).");
        var json = Json();
        var command = new Command("keygen", "Create an operator key: writes the private key to a file and prints the public key to start the server with.")
        {
            output, json,
        };
        command.SetAction((parse, _) => CliErrors.RunAsync(parse, () =>
        {
            string path = Path.GetFullPath(parse.GetValue(output)!);
            using var key = OperatorSigningKey.Generate();
            key.Save(path);
            if (parse.GetValue(json))
            {
                CliOutput.WriteJson(new OperatorKeyView(key.PublicKeyBase64, path), AdminJsonContext.Default.OperatorKeyView);
            }
            else
            {
                Console.WriteLine(key.PublicKeyBase64);
                Console.Error.WriteLine($"Wrote the operator's private key to {path}; keep it safe. Start the server with --Parley:OperatorKey {key.PublicKeyBase64}");
            }
            return Task.FromResult(0);
        }));
        return command;
    }

    private static Command Reports()
    {
        var all = new Option<bool>("--all") { Description = "Closed reports too." };
        var json = Json();
        var command = new Command("reports", "List abuse reports (open ones unless --all), newest first, with the server's verification result.") { all, json };
        command.SetAction(WithOperator(async (parse, client, cancellationToken) =>
        {
            var reports = await client.ListReportsAsync(parse.GetValue(all), cancellationToken);
            if (parse.GetValue(json))
            {
                CliOutput.WriteJson(reports.ToList(), AdminJsonContext.Default.ListAdminReportSummary);
            }
            else if (reports.Count == 0)
            {
                Console.Error.WriteLine(parse.GetValue(all) ? "There are no reports." : "There are no open reports.");
            }
            else
            {
                foreach (var r in reports)
                {
                    Console.WriteLine($"{r.ReportId}  {Time(r.ReportedAt)}  {r.Status,-6}  {r.Reason,-10}  {r.Reporter ?? "(deleted account)"} reported {r.Sender ?? "(deleted account)"}  "
                                      + (r.Verified ? "verified" : "NOT VERIFIED"));
                }
            }
            return 0;
        }));
        return command;
    }

    private static Command ReportCommand()
    {
        var report = new Command("report", "Show or close one abuse report.");
        report.Subcommands.Add(Show());
        report.Subcommands.Add(Close());
        return report;
    }

    private static Command Show()
    {
        var id = new Argument<string>("ID") { Description = "The report's id." };
        var save = new Option<string?>("--save-attachments") { Description = "Decrypt the reported files into this folder." };
        var json = Json();
        var command = new Command("show", "Show a report: the reported message's content, its sender, the times and the verification.") { id, save, json };
        command.SetAction(WithOperator(async (parse, client, cancellationToken) =>
        {
            var report = await client.GetReportAsync(parse.GetValue(id)!, cancellationToken);
            ContentEnvelope? envelope = null;
            try
            {
                envelope = ContentEnvelope.Decode(report.Envelope);
            }
            catch (EnvelopeFormatException)
            {
                // Shown as unreadable below; the server verified the bytes, not their meaning.
            }
            var evidence = new List<EvidenceView>();
            foreach (var attachment in report.Attachments)
            {
                evidence.Add(await EvidenceAsync(client, report, attachment, envelope, parse.GetValue(save), cancellationToken));
            }
            var view = new AdminReportView(report.ReportId, report.Status, report.Reason, report.Comment, report.Reporter, report.Sender, report.SenderDevice,
                report.Verified, report.GroupId, report.MessageId, envelope is null ? "unreadable" : CliOutput.KindName(envelope.Content),
                envelope is null ? null : ContentText(envelope.Content), envelope?.SentAt, report.AcceptedAt, report.ReportedAt, report.Resolution, evidence);
            if (parse.GetValue(json))
            {
                CliOutput.WriteJson(view, AdminJsonContext.Default.AdminReportView);
                return 0;
            }
            Console.WriteLine($"Report {view.ReportId} ({view.Status}): {view.Reason}");
            Console.WriteLine(view.Verified
                ? "  Verified:  yes: the server's delivery stamp and the sender's commitment match this exact message"
                : "  Verified:  NO: this message could not be shown to come from its sender");
            Console.WriteLine($"  Sender:    {view.Sender ?? "(deleted account)"}{(view.SenderDevice is null ? "" : $" (device {view.SenderDevice})")}"
                              + (view.AcceptedAt is { } accepted ? $", accepted by the server {Time(accepted)}" : ""));
            Console.WriteLine($"  Reporter:  {view.Reporter ?? "(deleted account)"}, reported {Time(view.ReportedAt)}");
            if (!string.IsNullOrEmpty(view.Comment))
            {
                Console.WriteLine($"  Comment:   {view.Comment}");
            }
            Console.WriteLine($"  Message:   {view.MessageId} in group {view.GroupId}" + (view.SentAt is { } sent ? $", sent {Time(sent)} (sender's clock)" : ""));
            Console.WriteLine($"  Content:   [{view.Kind}] {view.Text}");
            foreach (var e in evidence)
            {
                Console.WriteLine($"  File {e.Index}:    {e.FileName ?? "?"}{(e.Size is { } size ? $" ({ByteCount.Format(size)}, {e.ContentType})" : "")}, "
                                  + (e.Verified ? "evidence verified" : "evidence NOT verified")
                                  + (e.SavedTo is not null ? $"; saved to {e.SavedTo}" : "")
                                  + (e.Problem is not null ? $"; {e.Problem}" : ""));
            }
            if (view.Resolution is not null)
            {
                Console.WriteLine($"  Closed:    {view.Resolution}");
            }
            return 0;
        }));
        return command;
    }

    // Downloads a report's evidence and decrypts it with the key from the reported envelope, checking the ciphertext
    // digest, every chunk and the plaintext digest the sender committed to.
    private static async Task<EvidenceView> EvidenceAsync(OperatorClient client, AdminReport report, AdminReportAttachment attachment,
        ContentEnvelope? envelope, string? directory, CancellationToken cancellationToken)
    {
        var reference = (envelope?.Content as AttachmentContent)?.Attachment;
        if (reference is null)
        {
            return new EvidenceView(attachment.Index, null, null, null, attachment.Verified, null, "the reported message carries no file");
        }
        if (directory is null)
        {
            return new EvidenceView(attachment.Index, reference.FileName, reference.Size, reference.ContentType, attachment.Verified, null, null);
        }
        Directory.CreateDirectory(directory);
        string cipher = Path.Combine(directory, ".evidence-" + Convert.ToHexString(RandomNumberGenerator.GetBytes(6)));
        string target = ParleyClient.UniquePath(directory, ParleyClient.SafeFileName(reference.FileName));
        try
        {
            await using (var file = new FileStream(cipher, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.Asynchronous))
            {
                await client.DownloadEvidenceAsync(report.ReportId, attachment.Index, file, cancellationToken);
            }
            await AttachmentCipher.DecryptFileAsync(cipher, target, reference, null, cancellationToken);
            return new EvidenceView(attachment.Index, reference.FileName, reference.Size, reference.ContentType, attachment.Verified, target, null);
        }
        catch (AttachmentIntegrityException e)
        {
            return new EvidenceView(attachment.Index, reference.FileName, reference.Size, reference.ContentType, false, null,
                "the evidence does not decrypt to the committed file: " + e.Message);
        }
        finally
        {
            File.Delete(cipher);
        }
    }

    private static Command Close()
    {
        var id = new Argument<string>("ID") { Description = "The report's id." };
        var resolution = Required("--resolution", "What was done about it (kept in the audit log).");
        var json = Json();
        var command = new Command("close", "Close a report with a resolution.") { id, resolution, json };
        command.SetAction(WithOperator(async (parse, client, cancellationToken) =>
        {
            string reportId = parse.GetValue(id)!;
            await client.CloseReportAsync(reportId, parse.GetValue(resolution)!, cancellationToken);
            return Done(parse.GetValue(json), "closed", reportId, parse.GetValue(resolution), $"Closed report {reportId}.");
        }));
        return command;
    }

    private static Command Suspend()
    {
        var user = new Argument<string>("USER") { Description = "The account to suspend." };
        var reason = Required("--reason", "Why (kept in the audit log).");
        var json = Json();
        var command = new Command("suspend", "Suspend an account: the server refuses its devices and its key packages until it is restored.") { user, reason, json };
        command.SetAction(WithOperator(async (parse, client, cancellationToken) =>
        {
            string name = parse.GetValue(user)!;
            await client.SuspendAccountAsync(name, parse.GetValue(reason)!, cancellationToken);
            return Done(parse.GetValue(json), "suspended", name, parse.GetValue(reason), $"Suspended {name}; undo with `parley admin restore {name}`.");
        }));
        return command;
    }

    private static Command Restore()
    {
        var user = new Argument<string>("USER") { Description = "The suspended account." };
        var reason = new Option<string?>("--reason") { Description = "Why (kept in the audit log where the server records one)." };
        var json = Json();
        var command = new Command("restore", "Restore a suspended account.") { user, reason, json };
        command.SetAction(WithOperator(async (parse, client, cancellationToken) =>
        {
            string name = parse.GetValue(user)!;
            await client.RestoreAccountAsync(name, parse.GetValue(reason), cancellationToken);
            return Done(parse.GetValue(json), "restored", name, parse.GetValue(reason), $"Restored {name}.");
        }));
        return command;
    }

    private static Command Takedown()
    {
        var channel = new Argument<string>("CHANNEL") { Description = "The public channel's name." };
        var post = new Option<string?>("--post") { Description = "Take down only this post." };
        var reason = Required("--reason", "Why (kept in the audit log).");
        var json = Json();
        var command = new Command("takedown", "Take down a public channel, or one of its posts, so the server no longer serves it.") { channel, post, reason, json };
        command.SetAction(WithOperator(async (parse, client, cancellationToken) =>
        {
            string name = parse.GetValue(channel)!;
            if (parse.GetValue(post) is { } postId)
            {
                await client.TakeDownPostAsync(name, postId, parse.GetValue(reason)!, cancellationToken);
                return Done(parse.GetValue(json), "taken down", $"{name}/{postId}", parse.GetValue(reason), $"Took down post {postId} of {name}.");
            }
            await client.TakeDownChannelAsync(name, parse.GetValue(reason)!, cancellationToken);
            return Done(parse.GetValue(json), "taken down", name, parse.GetValue(reason), $"Took down the public channel {name}; undo with `parley admin restore-channel {name}`.");
        }));
        return command;
    }

    private static Command RestoreChannel()
    {
        var channel = new Argument<string>("CHANNEL") { Description = "The public channel's name." };
        var reason = new Option<string?>("--reason") { Description = "Why (kept in the audit log)." };
        var json = Json();
        var command = new Command("restore-channel", "Serve a taken-down public channel again.") { channel, reason, json };
        command.SetAction(WithOperator(async (parse, client, cancellationToken) =>
        {
            string name = parse.GetValue(channel)!;
            await client.RestoreChannelAsync(name, parse.GetValue(reason), cancellationToken);
            return Done(parse.GetValue(json), "restored", name, parse.GetValue(reason), $"Restored the public channel {name}.");
        }));
        return command;
    }

    private static Command Audit()
    {
        var json = Json();
        var command = new Command("audit", "Print the operator audit log and check its hash chain.") { json };
        command.SetAction(WithOperator(async (parse, client, cancellationToken) =>
        {
            var entries = await client.ReadAuditLogAsync(cancellationToken);
            long? broken = AuditChain.FirstBroken(entries);
            var view = new AuditLogView(
                entries.Select(e => new AuditView(e.Sequence, e.At, e.Action, e.Target, e.Reason, Convert.ToHexString(e.Hash).ToLowerInvariant())).ToList(),
                broken is null, broken);
            if (parse.GetValue(json))
            {
                CliOutput.WriteJson(view, AdminJsonContext.Default.AuditLogView);
            }
            else
            {
                foreach (var e in view.Entries)
                {
                    Console.WriteLine($"{e.Sequence,5}  {Time(e.At)}  {e.Action,-24}  {e.Target}  {e.Reason}");
                }
                if (broken is null)
                {
                    Console.WriteLine(view.Entries.Count == 0
                        ? "The audit log is empty."
                        : $"The hash chain of {view.Entries.Count} entries is intact (latest hash {view.Entries[^1].Hash[..16]}…).");
                }
            }
            if (broken is { } sequence)
            {
                // With --json the log itself says so (intact: false, firstBroken); the exit code says it to scripts either way.
                if (!parse.GetValue(json))
                {
                    Console.Error.WriteLine($"parley: the audit log's hash chain is broken at entry {sequence}: an entry was changed, removed or reordered.");
                }
                return CliErrors.Failed;
            }
            return 0;
        }));
        return command;
    }

    /// <summary>Loads the operator key, opens an operator client of the server, runs <paramref name="action"/>, and turns
    /// the operator-specific refusals into sentences that say what to do.</summary>
    private static Func<ParseResult, CancellationToken, Task<int>> WithOperator(Func<ParseResult, OperatorClient, CancellationToken, Task<int>> action)
        => (parse, cancellationToken) => CliErrors.RunAsync(parse, async () =>
        {
            Uri server = GlobalOptions.ServerOf(parse)
                         ?? throw new ParleyClientException("Give the server with --server URL (or set PARLEY_SERVER).");
            string path = parse.GetValue(GlobalOptions.OperatorKey) ?? Environment.GetEnvironmentVariable("PARLEY_OPERATOR_KEY_FILE")
                          ?? throw new ParleyClientException("Give the operator key with --key FILE (or set PARLEY_OPERATOR_KEY_FILE); create one with `parley admin keygen --out FILE`.");
            using var key = OperatorSigningKey.Load(path);
            using var client = new OperatorClient(server, key);
            try
            {
                return await action(parse, client, cancellationToken);
            }
            catch (ServerProblemException e) when (Explain(e) is { } sentence)
            {
                throw new ParleyClientException(sentence, e);
            }
        });

    private static string? Explain(ServerProblemException e) => e.Code switch
    {
        "operator_disabled" => "The server has no operator key; start it with --Parley:OperatorKey PUBLIC_KEY (printed by `parley admin keygen`).",
        "operator_unauthenticated" => "The server refused the operator signature: this is not the key it was started with, or this computer's clock is more than 5 minutes off.",
        _ => null,
    };

    private static int Done(bool json, string status, string target, string? detail, string sentence)
        => CliOutput.Done(json, new DoneView(status, null, target, detail), sentence);

    /// <summary>What a message's content says, for the operator.</summary>
    private static string? ContentText(MessageContent content) => content switch
    {
        TextContent c => c.Text,
        ReplyContent c => $"(reply to {c.InReplyTo}) {c.Text}",
        EditContent c => $"(edit of {c.Target}) {c.Text}",
        DeleteContent c => $"(deletes {c.Target})",
        ReactionContent c => $"({(c.Remove ? "removes" : "adds")} reaction {c.Emoji} to {c.Target})",
        AttachmentContent c => c.Caption,
        ConversationInfoContent c => $"(names the conversation) {c.Title}",
        DisappearingTimerContent c => c.Timer is { } t ? $"(sets disappearing messages to {t})" : "(turns disappearing messages off)",
        UnsupportedContent c => $"(unsupported: {c.Reason})",
        _ => null,
    };

    private static string Time(DateTimeOffset at) => at.ToUniversalTime().ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture);
}
