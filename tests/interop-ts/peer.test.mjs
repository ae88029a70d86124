// Checks the ts-mls peer on its own: two (and three) ts-mls members talking through peer.mjs.
// Run with `node --test` in this folder (after `npm ci`).
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

function startPeer() {
  const child = spawn(process.execPath, [fileURLToPath(new URL("./peer.mjs", import.meta.url))], {
    stdio: ["pipe", "pipe", "inherit"],
  });
  const answers = [];
  const waiting = [];
  createInterface({ input: child.stdout }).on("line", (line) => {
    const answer = JSON.parse(line);
    if (waiting.length > 0) waiting.shift()(answer);
    else answers.push(answer);
  });
  async function call(cmd, args = {}) {
    child.stdin.write(JSON.stringify({ cmd, ...args }) + "\n");
    const answer = answers.length > 0 ? answers.shift() : await new Promise((resolve) => waiting.push(resolve));
    assert.equal(answer.ok, true, `${cmd} failed: ${answer.error}`);
    return answer;
  }
  return { call, stop: () => child.stdin.end() };
}

const hex = (text) => Buffer.from(text, "utf8").toString("hex");

async function verifyGroupState(call, names) {
  const auths = await Promise.all(names.map((member) => call("epochAuthenticator", { member })));
  for (const a of auths) assert.equal(a.epochAuthenticator, auths[0].epochAuthenticator);
  const exports = [];
  for (const member of names) {
    exports.push((await call("export", { member, label: "parley test", context: "0102", length: 32 })).secret);
  }
  for (const e of exports) assert.equal(e, exports[0]);
  for (const sender of names) {
    const plaintext = hex(`hello from ${sender}`);
    const { message } = await call("protect", { member: sender, plaintext, authenticatedData: "aa" });
    for (const receiver of names.filter((n) => n !== sender)) {
      assert.equal((await call("unprotect", { member: receiver, message })).plaintext, plaintext);
    }
  }
}

for (const [suite, publicMessage] of [[1, true], [1, false], [2, true], [3, false], [7, true]]) {
  test(`ts-mls members join, update, join externally, remove and talk (suite ${suite}, handshake as ${publicMessage ? "public" : "private"} messages)`, async () => {
    const { call, stop } = startPeer();
    try {
      assert.equal((await call("hello")).name, "ts-mls");
      await call("createGroup", { member: "alice", suite, groupId: hex("group"), identity: hex("alice") });
      const { keyPackage, signatureKey } = await call("createKeyPackage", { member: "bob", suite, identity: hex("bob") });
      // ts-mls's own ECDSA keys are compressed points: 0x02 or 0x03, then X.
      const fieldLength = { 2: 32, 7: 48 }[suite];
      if (fieldLength !== undefined) {
        assert.equal(signatureKey.length, 2 * (1 + fieldLength));
        assert.match(signatureKey, /^0[23]/);
      }
      const added = await call("addMembers", { member: "alice", keyPackages: [keyPackage], publicMessage });
      await call("joinWithWelcome", { member: "bob", welcome: added.welcome, ratchetTree: added.ratchetTree });
      await verifyGroupState(call, ["alice", "bob"]);

      const update = await call("commit", { member: "bob", publicMessage });
      assert.equal((await call("processMessage", { member: "alice", message: update.commit })).epoch, update.epoch);
      await verifyGroupState(call, ["alice", "bob"]);

      const { groupInfo } = await call("groupInfo", { member: "alice" });
      const { ratchetTree } = await call("ratchetTree", { member: "alice" });
      const joined = await call("externalJoin", { member: "carol", suite, groupInfo, ratchetTree, identity: hex("carol") });
      await call("processMessage", { member: "alice", message: joined.commit });
      await call("processMessage", { member: "bob", message: joined.commit });
      await verifyGroupState(call, ["alice", "bob", "carol"]);

      const removal = await call("removeMember", { member: "carol", identity: hex("bob"), publicMessage });
      await call("processMessage", { member: "alice", message: removal.commit });
      await verifyGroupState(call, ["alice", "carol"]);
    } finally {
      stop();
    }
  });
}
