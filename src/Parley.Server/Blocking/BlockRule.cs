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

    /// <summary>The recipients of a sealed application message that remain. The server does not know which of the two
    /// accounts of a 1:1 sent it, so when one blocks the other, the blocker's devices get nothing sealed in that group:
    /// the blocked account's messages are withheld from the blocker, as on the authenticated path, and is still answered as
    /// if they were delivered. The blocker's own client sends authenticated in such a 1:1 (its other devices then get its
    /// messages, and the blocked account gets them as before). <paramref name="accountOf"/> maps every roster device to its
    /// account; <paramref name="blocks"/> holds (blocker, blocked) pairs among the roster's accounts.</summary>
    public static IReadOnlyList<DeviceId> ApplySealed(GroupRoster roster, IReadOnlyList<DeviceId> messageRecipients,
        IReadOnlyDictionary<DeviceId, AccountId> accountOf, IReadOnlyCollection<(AccountId Blocker, AccountId Blocked)> blocks)
    {
        ArgumentNullException.ThrowIfNull(roster);
        ArgumentNullException.ThrowIfNull(messageRecipients);
        ArgumentNullException.ThrowIfNull(accountOf);
        ArgumentNullException.ThrowIfNull(blocks);
        if (blocks.Count == 0 || !IsOneToOne(roster, accountOf))
        {
            return messageRecipients;
        }
        var blockers = blocks.Select(b => b.Blocker).ToHashSet();
        return messageRecipients.Where(d => !(accountOf.TryGetValue(d, out AccountId account) && blockers.Contains(account))).ToList();
    }

    /// <summary>False when the roster has more devices than two accounts can have (revoked devices count towards
    /// <paramref name="maxDevicesPerAccount"/>), so it cannot be a 1:1 and no lookup is needed.</summary>
    public static bool MayBeOneToOne(GroupRoster roster, int maxDevicesPerAccount)
    {
        ArgumentNullException.ThrowIfNull(roster);
        return roster.Members.Count <= 2 * maxDevicesPerAccount;
    }

    /// <summary>Whether the roster's devices belong to exactly two accounts (devices without a known account count as
    /// accounts of their own).</summary>
    public static bool IsOneToOne(GroupRoster roster, IReadOnlyDictionary<DeviceId, AccountId> accountOf)
    {
        ArgumentNullException.ThrowIfNull(roster);
        ArgumentNullException.ThrowIfNull(accountOf);
        var accounts = new HashSet<AccountId>();
        foreach (DeviceId device in roster.Members.Values)
        {
            accounts.Add(accountOf.TryGetValue(device, out AccountId account) ? account : new AccountId("device:" + device.Value));
        }
        return accounts.Count == 2;
    }
}
