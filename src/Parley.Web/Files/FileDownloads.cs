// GET /files/{conversation}/{message}: a received (or sent) file, decrypted by the client, under its own file name.
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Parley.Client;
using Parley.Web.Components.Chat;
using Parley.Web.Device;

namespace Parley.Web.Files;

/// <summary>Serves the files of messages as downloads named by their file names.</summary>
internal static class FileDownloads
{
    /// <summary>The address of a message's file.</summary>
    public static string UrlOf(string conversationSharedId, string messageId)
        => $"/files/{Uri.EscapeDataString(conversationSharedId)}/{Uri.EscapeDataString(messageId)}";

    public static void MapFileDownloads(this WebApplication app)
    {
        app.MapGet("/files/{conversation}/{message}", async (HttpContext context, DeviceSession device, string conversation, string message,
            bool? inline) =>
        {
            if (device.Client is not { } client || client.FindConversation(conversation) is not { } found)
            {
                return Results.NotFound();
            }
            string folder = device.NewScratchFolder();
            try
            {
                string path = await client.DownloadAttachmentAsync(found.Id, message, folder, null, context.RequestAborted);
                var attachment = client.AttachmentsOf(client.ResolveMessage(found.Id, message))[0].Reference;
                context.Response.RegisterForDispose(new FolderRemoval(folder));
                var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 81920, FileOptions.Asynchronous);
                // Only images (previews) and audio (voice notes) are served inline; everything else downloads, so no received
                // file runs as a page.
                bool shown = inline == true && (MessageText.IsImage(attachment.ContentType) || MessageText.IsAudio(attachment.ContentType));
                return shown
                    ? Results.File(stream, attachment.ContentType, enableRangeProcessing: true)
                    : Results.File(stream, "application/octet-stream", attachment.FileName);
            }
            catch (ParleyClientException e)
            {
                new FolderRemoval(folder).Dispose();
                return Results.Problem(e.Message, statusCode: StatusCodes.Status404NotFound);
            }
            catch
            {
                new FolderRemoval(folder).Dispose();
                throw;
            }
        });
    }

    private sealed class FolderRemoval(string folder) : IDisposable
    {
        public void Dispose()
        {
            try
            {
                Directory.Delete(folder, recursive: true);
            }
            catch (IOException)
            {
                // Best effort: the next download uses a new folder.
            }
        }
    }
}
