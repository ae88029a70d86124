namespace Parley.Server.Tests;

/// <summary>A group of freshly registered users, the first of whom created it and added the others; every
/// mailbox starts empty.</summary>
public static class TestConversation
{
    /// <summary>Registers <paramref name="users"/> users (each with <paramref name="devicesPerUser"/> devices), creates a
    /// group from the first user's first device, adds the rest, and drains every mailbox.</summary>
    public static async Task<(TestUser[] Users, TestGroup Group)> CreateAsync(ITestServer server, int users, int devicesPerUser = 1)
    {
        var all = new TestUser[users];
        for (int i = 0; i < users; i++)
        {
            all[i] = await TestUser.RegisterAsync(server);
            for (int d = 1; d < devicesPerUser; d++)
            {
                await all[i].AddDeviceAsync(server);
            }
            foreach (TestDevice device in all[i].Devices)
            {
                await device.UploadKeyPackagesAsync(2);
            }
        }
        TestGroup group = await TestGroup.CreateAsync(all[0].Device);
        foreach (TestUser user in all.Skip(1))
        {
            await group.AddAsync(all[0].Device, user);
        }
        await DrainAsync(all);
        return (all, group);
    }

    /// <summary>Alice creates a group and adds Bob (with <paramref name="bobDevices"/> devices); Bob's Welcomes stay in his
    /// mailboxes.</summary>
    public static async Task<(TestUser Alice, TestUser Bob, TestGroup Group)> AliceAndBobAsync(ITestServer server, int bobDevices = 1)
    {
        TestUser alice = await TestUser.RegisterAsync(server);
        TestUser bob = await TestUser.RegisterAsync(server);
        for (int i = 1; i < bobDevices; i++)
        {
            await bob.AddDeviceAsync(server);
        }
        foreach (TestDevice device in bob.Devices)
        {
            await device.UploadKeyPackagesAsync(2);
        }
        TestGroup group = await TestGroup.CreateAsync(alice.Device);
        await group.AddAsync(alice.Device, bob);
        return (alice, bob, group);
    }

    /// <summary>Acknowledges everything waiting for every device of <paramref name="users"/>.</summary>
    public static async Task DrainAsync(params TestUser[] users)
    {
        foreach (TestDevice device in users.SelectMany(u => u.Devices))
        {
            foreach (var entry in await TestMailbox.ReadAsync(device))
            {
                await TestMailbox.AckAsync(device, entry.Id);
            }
        }
    }
}
