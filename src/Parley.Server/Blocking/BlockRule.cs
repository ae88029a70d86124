// Parley blocking (docs/safety.md, "Blocking"; docs/server-protocol.md, "Blocking").
using Parley.Server.Accounts;
using Parley.Server.Devices;
using Parley.Server.Groups;

namespace Parley.Server.Blocking;

/// <summary>The server's blocking rule, applied to an accepted submission before its copies are written: when
/// account A blocks account B, a Welcome sent by B never reaches A's devices, and in a group whose roster holds
/// exactly A and B (a 1:1) no application message B sends reaches A's devices. The submission is still accepted,
/// so B cannot tell. B's commits and proposals in the 1:1 still reach A: they carry no content, and withholding
/// them would leave A's group state behind, so that the chat could not resume after an unblock. Everything else
/// (larger groups) is delivered and left to A's client to hide.</summary>
public static class BlockRule
{
    /// <summary>The recipients that remain. <paramref name="blockers"/> are the accounts that block the sender's
    /// account; <paramref name="accountOf"/> maps every roster device and Welcome recipient to its account
    /// (devices it lacks count as accounts of their own, which only makes the rule stricter for nobody).</summary>
    public static (IReadOnlyList<DeviceId> Messages, IReadOnlyList<DeviceId> Welcomes) Apply(
        GroupRoster roster, GroupMessageKind kind, AccountId sender, IReadOnlyCollection<AccountId> blockers,
        IReadOnlyList<DeviceId> messageRecipients, IReadOnlyList<DeviceId> welcomeRecipients,
        IReadOnlyDictionary<DeviceId, AccountId> accountOf)
    {
        ArgumentNullException.ThrowIfNull(roster);
        ArgumentNullException.ThrowIfNull(blockers);
        ArgumentNullException.ThrowIfNull(messageRecipients);
        ArgumentNullException.ThrowIfNull(welcomeRecipients);
        ArgumentNullException.ThrowIfNull(accountOf);
        if (blockers.Count == 0)
        {
            return (messageRecipients, welcomeRecipients);
        }
        bool IsBlocking(DeviceId device) => accountOf.TryGetValue(device, out AccountId account) && blockers.Contains(account);

        IReadOnlyList<DeviceId> welcomes = welcomeRecipients.Where(d => !IsBlocking(d)).ToList();
        // The roster before this message decides whether the conversation is a 1:1.
        var accounts = new HashSet<AccountId> { sender };
        foreach (DeviceId device in roster.Members.Values)
        {
            accounts.Add(accountOf.TryGetValue(device, out AccountId account) ? account : new AccountId("device:" + device.Value));
        }
        IReadOnlyList<DeviceId> messages = accounts.Count == 2 && kind == GroupMessageKind.Application
            ? messageRecipients.Where(d => !IsBlocking(d)).ToList()
            : messageRecipients;
        return (messages, welcomes);
    }
}
