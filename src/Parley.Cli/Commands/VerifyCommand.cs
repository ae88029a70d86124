using System.CommandLine;

namespace Parley.Cli.Commands;

/// <summary><c>parley verify NAME [--confirm] [--accept-new-key]</c>: safety numbers and identity pinning.</summary>
internal static class VerifyCommand
{
    public static Command Build()
    {
        var name = new Argument<string>("NAME") { Description = "The contact's user name." };
        var confirm = new Option<bool>("--confirm") { Description = "Mark the contact verified (after comparing the numbers in person)." };
        var accept = new Option<bool>("--accept-new-key") { Description = "Accept the contact's changed identity key (compare the new number first)." };
        var json = CliOutput.JsonOption();
        var command = new Command("verify", "Show the safety number you share with a contact; compare it with theirs.") { name, confirm, accept, json };
        command.SetAction(CliSession.With(command, async (parse, client, cancellationToken) =>
        {
            string user = parse.GetValue(name)!;
            Parley.Client.Identity.SafetyNumber number;
            try
            {
                (_, number) = await client.GetSafetyNumberAsync(user, cancellationToken);
            }
            catch (Parley.Client.Identity.IdentityKeyChangedException) when (parse.GetValue(accept))
            {
                client.AcceptIdentityKeyChange(user);
                (_, number) = await client.GetSafetyNumberAsync(user, cancellationToken);
            }
            var contact = client.Store.GetContact(user);
            if (parse.GetValue(confirm))
            {
                contact = client.MarkVerified(user);
            }
            contact = client.Store.GetContact(user)!;
            if (parse.GetValue(json))
            {
                CliOutput.WriteJson(new SafetyNumberView(contact.Username, number.Digits, number.QrPayloadBase64, contact.Verified, contact.IdentityChanged),
                    CliJsonContext.Default.SafetyNumberView);
                return 0;
            }
            Console.WriteLine($"Safety number with {contact.Username}:");
            var groups = number.Groups;
            for (int i = 0; i < groups.Count; i += 4)
            {
                Console.WriteLine("  " + string.Join(' ', groups.Skip(i).Take(4)));
            }
            Console.WriteLine(contact.Verified
                ? $"{contact.Username} is verified."
                : $"Compare it with {contact.Username} in person; if it matches, run `parley verify {contact.Username} --confirm`.");
            return 0;
        }));
        return command;
    }
}
