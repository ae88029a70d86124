// A ts-mls (RFC 9420) peer for Parley's interop tests.
//
// Protocol: one JSON object per line on stdin, one JSON answer per line on stdout, in order.
//   request:  {"cmd": "...", "member": "alice", ...arguments}
//   answer:   {"ok": true, ...results}  or  {"ok": false, "error": "message"}
// Byte strings are lower-case hex; every MLS object crosses the boundary as its MLSMessage wire
// encoding (KeyPackage, Welcome, GroupInfo, PublicMessage, PrivateMessage), except the ratchet tree,
// which is the TLS encoding of `optional<Node> ratchet_tree<V>` (RFC 9420 §12.4.3.3).
// One process can hold several members (keyed by "member"); each member holds at most one group.
//
// Commands:
//   hello                                              -> {name, version}
//   createKeyPackage {suite, identity}                 -> {keyPackage, signatureKey}
//   createGroup {suite, groupId, identity}             -> {epoch, epochAuthenticator, signatureKey}
//   addMembers {keyPackages[], ratchetTreeExtension?, publicMessage?}
//                                                      -> {commit, welcome, ratchetTree, epoch}
//   commit {publicMessage?}                            -> {commit, epoch}   (empty Commit with a path)
//   removeMember {identity, publicMessage?}            -> {commit, epoch}
//   joinWithWelcome {welcome, ratchetTree?}            -> {epoch, epochAuthenticator}
//   processMessage {message}                           -> {kind, epoch, plaintext?}
//   protect {plaintext, authenticatedData?}            -> {message}
//   unprotect {message}                                -> {plaintext}
//   export {label, context, length}                    -> {secret}
//   epochAuthenticator                                 -> {epoch, epochAuthenticator}
//   ratchetTree                                        -> {ratchetTree}
//   groupInfo {ratchetTreeExtension?}                  -> {groupInfo}   (with external_pub)
//   externalJoin {suite, groupInfo, ratchetTree?, identity}
//                                                      -> {commit, epoch, epochAuthenticator}
//   free                                               -> {}
//   reset                                              -> {}   (forgets every member)
//
// ECDSA suites (2, 5, 7): ts-mls encodes its signature public keys as compressed points (SEC 1 §2.3.3),
// where RFC 9420 §5.1.1 writes the uncompressed point. The peer leaves them as ts-mls makes them, so the
// interop tests show that Parley accepts compressed keys (createKeyPackage and createGroup answer the
// key, for the tests to check that it is compressed).
//
// One shim keeps ts-mls 1.6.4 on RFC 9420's wire format where it strays (only in this peer):
// - external_pub: ts-mls writes the bare HPKE key as the extension data; RFC 9420 §12.4.3.2 wraps it in
//   `struct { HPKEPublicKey external_pub; }`, i.e. with a length prefix. The peer signs GroupInfos with
//   the RFC encoding and, when joining externally, strips the prefix before ts-mls reads the key.
import { createInterface } from "node:readline";
import { readFileSync } from "node:fs";
import {
  acceptAll,
  createApplicationMessage,
  createCommit,
  createGroup,
  decodeMlsMessage,
  defaultCapabilities,
  defaultLifetime,
  emptyPskIndex,
  encodeMlsMessage,
  generateKeyPackage,
  getCiphersuiteFromName,
  getCiphersuiteImpl,
  joinGroup,
  joinGroupExternal,
  makePskIndex,
  mlsExporter,
  processMessage,
  ciphersuites,
} from "ts-mls";
import { decodeRatchetTree, ratchetTreeEncoder } from "ts-mls/ratchetTree.js";
import { encode } from "ts-mls/codec/tlsEncoder.js";
import { createGroupInfo, createGroupInfoWithRatchetTree } from "ts-mls/createCommit.js";

const members = new Map();
const suiteImpls = new Map();

function hex(bytes) {
  return Buffer.from(bytes).toString("hex");
}

function unhex(text, what) {
  if (typeof text !== "string" || text.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(text)) {
    throw new Error(`${what} must be a hex string`);
  }
  return new Uint8Array(Buffer.from(text, "hex"));
}

async function suiteImpl(id) {
  const name = Object.keys(ciphersuites).find((n) => ciphersuites[n] === id);
  if (name === undefined) throw new Error(`unknown cipher suite ${id}`);
  if (!suiteImpls.has(id)) suiteImpls.set(id, await getCiphersuiteImpl(getCiphersuiteFromName(name)));
  return suiteImpls.get(id);
}

function member(req) {
  const name = req.member ?? "default";
  if (!members.has(name)) members.set(name, { name });
  return members.get(name);
}

function group(m) {
  if (m.state === undefined) throw new Error(`member ${m.name} is in no group`);
  return m.state;
}

function decodeMessage(bytes, wireformat) {
  const decoded = decodeMlsMessage(bytes, 0);
  if (decoded === undefined) throw new Error("the MLSMessage does not decode");
  const [message, used] = decoded;
  if (used !== bytes.length) throw new Error(`the MLSMessage has ${bytes.length - used} trailing bytes`);
  if (wireformat !== undefined && message.wireformat !== wireformat) {
    throw new Error(`expected ${wireformat}, got ${message.wireformat}`);
  }
  return message;
}

function encodeTree(tree) {
  // RFC 9420 §12.4.3.3: trailing blank nodes are not sent.
  let end = tree.length;
  while (end > 0 && tree[end - 1] === undefined) end--;
  return encode(ratchetTreeEncoder)(tree.slice(0, end));
}

function decodeTree(text) {
  if (text === undefined || text === null || text === "") return undefined;
  const bytes = unhex(text, "ratchetTree");
  const decoded = decodeRatchetTree(bytes, 0);
  if (decoded === undefined || decoded[1] !== bytes.length) throw new Error("the ratchet tree does not decode");
  return decoded[0];
}

function newKeyPackage(identity, impl) {
  return generateKeyPackage({ credentialType: "basic", identity }, defaultCapabilities(), defaultLifetime, [], impl);
}

// QUIC/MLS variable-length integer (RFC 9420 §2.1.2), as the length prefix of opaque<V>.
function varint(n) {
  if (n < 0x40) return Uint8Array.of(n);
  if (n < 0x4000) return Uint8Array.of(0x40 | (n >> 8), n & 0xff);
  return Uint8Array.of(0x80 | (n >>> 24), (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff);
}

function opaque(bytes) {
  const prefix = varint(bytes.length);
  const out = new Uint8Array(prefix.length + bytes.length);
  out.set(prefix, 0);
  out.set(bytes, prefix.length);
  return out;
}

function stripOpaque(bytes) {
  const kind = bytes[0] >> 6;
  const size = 1 << kind;
  let length = bytes[0] & 0x3f;
  for (let i = 1; i < size; i++) length = (length << 8) | bytes[i];
  if (kind > 2 || size + length !== bytes.length) throw new Error("external_pub is not an HPKEPublicKey<V>");
  return bytes.subarray(size);
}

function epochOf(state) {
  return state.groupContext.epoch.toString();
}

function pskIndex(m) {
  return m.state === undefined ? emptyPskIndex : makePskIndex(m.state, {});
}

async function commitWith(m, proposals, req) {
  const state = group(m);
  const result = await createCommit(
    { state, cipherSuite: m.impl, pskIndex: pskIndex(m) },
    {
      extraProposals: proposals,
      wireAsPublicMessage: req.publicMessage ?? true,
      ratchetTreeExtension: req.ratchetTreeExtension ?? false,
    },
  );
  m.state = result.newState;
  const answer = { commit: hex(encodeMlsMessage(result.commit)), epoch: epochOf(m.state) };
  if (result.welcome !== undefined) {
    answer.welcome = hex(encodeMlsMessage({ version: "mls10", wireformat: "mls_welcome", welcome: result.welcome }));
  }
  answer.ratchetTree = hex(encodeTree(m.state.ratchetTree));
  return answer;
}

const commands = {
  async hello() {
    const pkg = JSON.parse(readFileSync(new URL("./node_modules/ts-mls/package.json", import.meta.url), "utf8"));
    return { name: "ts-mls", version: pkg.version };
  },

  async createKeyPackage(req) {
    const m = member(req);
    m.impl = await suiteImpl(req.suite);
    m.keyPackage = await newKeyPackage(unhex(req.identity, "identity"), m.impl);
    return {
      keyPackage: hex(encodeMlsMessage({ version: "mls10", wireformat: "mls_key_package", keyPackage: m.keyPackage.publicPackage })),
      signatureKey: hex(m.keyPackage.publicPackage.leafNode.signaturePublicKey),
    };
  },

  async createGroup(req) {
    const m = member(req);
    m.impl = await suiteImpl(req.suite);
    const kp = await newKeyPackage(unhex(req.identity, "identity"), m.impl);
    m.state = await createGroup(unhex(req.groupId, "groupId"), kp.publicPackage, kp.privatePackage, [], m.impl);
    return {
      epoch: epochOf(m.state),
      epochAuthenticator: hex(m.state.keySchedule.epochAuthenticator),
      signatureKey: hex(kp.publicPackage.leafNode.signaturePublicKey),
    };
  },

  async addMembers(req) {
    const m = member(req);
    const proposals = (req.keyPackages ?? []).map((text) => ({
      proposalType: "add",
      add: { keyPackage: decodeMessage(unhex(text, "keyPackage"), "mls_key_package").keyPackage },
    }));
    if (proposals.length === 0) throw new Error("addMembers needs at least one key package");
    return commitWith(m, proposals, req);
  },

  async commit(req) {
    return commitWith(member(req), [], req);
  },

  async removeMember(req) {
    const m = member(req);
    const identity = unhex(req.identity, "identity");
    const tree = group(m).ratchetTree;
    let removed;
    for (let node = 0; node < tree.length; node += 2) {
      const leaf = tree[node];
      if (leaf?.nodeType === "leaf" && Buffer.from(leaf.leaf.credential.identity ?? []).equals(Buffer.from(identity))) {
        removed = node / 2;
      }
    }
    if (removed === undefined) throw new Error("no member has that identity");
    return commitWith(m, [{ proposalType: "remove", remove: { removed } }], req);
  },

  async joinWithWelcome(req) {
    const m = member(req);
    if (m.keyPackage === undefined) throw new Error(`member ${m.name} has no key package`);
    const welcome = decodeMessage(unhex(req.welcome, "welcome"), "mls_welcome").welcome;
    m.state = await joinGroup(welcome, m.keyPackage.publicPackage, m.keyPackage.privatePackage, emptyPskIndex, m.impl, decodeTree(req.ratchetTree));
    return { epoch: epochOf(m.state), epochAuthenticator: hex(m.state.keySchedule.epochAuthenticator) };
  },

  async processMessage(req) {
    const m = member(req);
    const message = decodeMessage(unhex(req.message, "message"));
    if (message.wireformat !== "mls_public_message" && message.wireformat !== "mls_private_message") {
      throw new Error(`cannot process a ${message.wireformat}`);
    }
    const result = await processMessage(message, group(m), pskIndex(m), acceptAll, m.impl);
    m.state = result.newState;
    const answer = { kind: result.kind, epoch: epochOf(m.state) };
    if (result.kind === "applicationMessage") answer.plaintext = hex(result.message);
    return answer;
  },

  async protect(req) {
    const m = member(req);
    const aad = req.authenticatedData === undefined ? new Uint8Array() : unhex(req.authenticatedData, "authenticatedData");
    const result = await createApplicationMessage(group(m), unhex(req.plaintext, "plaintext"), m.impl, aad);
    m.state = result.newState;
    return {
      message: hex(encodeMlsMessage({ version: "mls10", wireformat: "mls_private_message", privateMessage: result.privateMessage })),
    };
  },

  async unprotect(req) {
    const answer = await commands.processMessage(req);
    if (answer.kind !== "applicationMessage") throw new Error("the message is not an application message");
    return { plaintext: answer.plaintext };
  },

  async export(req) {
    const m = member(req);
    const secret = await mlsExporter(group(m).keySchedule.exporterSecret, req.label, unhex(req.context ?? "", "context"), req.length, m.impl);
    return { secret: hex(secret) };
  },

  async epochAuthenticator(req) {
    const m = member(req);
    return { epoch: epochOf(group(m)), epochAuthenticator: hex(group(m).keySchedule.epochAuthenticator) };
  },

  async ratchetTree(req) {
    return { ratchetTree: hex(encodeTree(group(member(req)).ratchetTree)) };
  },

  async groupInfo(req) {
    const m = member(req);
    const state = group(m);
    // As createGroupInfoWithExternalPub does, but with the RFC's ExternalPub encoding.
    const externalKeys = await m.impl.hpke.deriveKeyPair(state.keySchedule.externalSecret);
    const externalPub = opaque(await m.impl.hpke.exportPublicKey(externalKeys.publicKey));
    const extensions = [{ extensionType: "external_pub", extensionData: externalPub }];
    const info = req.ratchetTreeExtension
      ? await createGroupInfoWithRatchetTree(state.groupContext, state.confirmationTag, state, state.ratchetTree, extensions, m.impl)
      : await createGroupInfo(state.groupContext, state.confirmationTag, state, extensions, m.impl);
    return { groupInfo: hex(encodeMlsMessage({ version: "mls10", wireformat: "mls_group_info", groupInfo: info })) };
  },

  async externalJoin(req) {
    const m = member(req);
    m.impl = await suiteImpl(req.suite);
    const info = decodeMessage(unhex(req.groupInfo, "groupInfo"), "mls_group_info").groupInfo;
    const kp = await newKeyPackage(unhex(req.identity, "identity"), m.impl);
    // ts-mls 1.6.4 takes external_pub's data for the bare key: hand it the key inside the RFC encoding,
    // for exactly those bytes, and leave every other key alone.
    const externalPub = info.extensions.find((e) => e.extensionType === "external_pub")?.extensionData;
    const hpke = Object.create(m.impl.hpke);
    hpke.importPublicKey = (key) => m.impl.hpke.importPublicKey(
      externalPub !== undefined && Buffer.from(key).equals(Buffer.from(externalPub)) ? stripOpaque(key) : key);
    const result = await joinGroupExternal(info, kp.publicPackage, kp.privatePackage, false, { ...m.impl, hpke }, decodeTree(req.ratchetTree));
    m.state = result.newState;
    return {
      commit: hex(encodeMlsMessage({ version: "mls10", wireformat: "mls_public_message", publicMessage: result.publicMessage })),
      epoch: epochOf(m.state),
      epochAuthenticator: hex(m.state.keySchedule.epochAuthenticator),
    };
  },

  async free(req) {
    members.delete(req.member ?? "default");
    return {};
  },

  async reset() {
    members.clear();
    return {};
  },
};

async function handle(line) {
  let req;
  try {
    req = JSON.parse(line);
  } catch {
    return { ok: false, error: "the request is not JSON" };
  }
  const command = Object.hasOwn(commands, req.cmd) ? commands[req.cmd] : undefined;
  if (command === undefined) return { ok: false, error: `unknown command ${JSON.stringify(req.cmd)}` };
  try {
    return { ok: true, ...(await command(req)) };
  } catch (e) {
    return { ok: false, error: `${req.cmd}: ${e?.name ?? "Error"}: ${e?.message ?? String(e)}` };
  }
}

// Answers are written strictly in request order.
let queue = Promise.resolve();
const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
lines.on("line", (line) => {
  if (line.trim() === "") return;
  queue = queue.then(async () => {
    process.stdout.write(JSON.stringify(await handle(line)) + "\n");
  });
});
lines.on("close", () => {
  queue.then(() => process.exit(0));
});
