// Measures the MLS operations of docs/benchmarks-mls.md with ts-mls (pinned in package-lock.json),
// so Parley.Mls can be compared with another implementation on the same machine.
//
//   cd bench/ts-mls && npm ci && node bench.mjs                 # sizes 2,16,128,1024
//   ulimit -s 262144; node --stack-size=32000 bench.mjs --sizes 10000   # 10,000 members: ts-mls
//       encodes lists recursively, which overflows node's default stack on a 10,000-member tree
//   node bench.mjs --json results.json                            # also write the rows as JSON
//
// Every operation runs on cipher suite 1 (X25519, AES-128-GCM, SHA-256, Ed25519).
// Groups are built as the BenchmarkDotNet side builds them: the creator commits one Add per
// other member in a single commit (so only the creator's direct path is populated), and one
// receiver joins through the resulting Welcome. ts-mls group states are immutable values, so
// the same committer and receiver state is reused by every commit iteration: each iteration
// commits from, or processes into, the same epoch (nothing is zeroized between iterations).
// Application messages move both states along their sender ratchet, as in a conversation.
// As on the Parley side, Welcomes carry the ratchet_tree extension and every measured operation
// starts or ends with wire bytes (encode after creating, decode before processing).

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
  processMessage,
} from "ts-mls";
import { readFileSync, writeFileSync } from "node:fs";
import os from "node:os";

const args = parseArgs(process.argv.slice(2));
const sizes = (args.sizes ?? "2,16,128,1024").split(",").map(Number);
const budgetSeconds = Number(args.budget ?? 300); // per group size: stop measuring larger sizes once one exceeds it
const commitWire = args.wire ?? "public"; // "public" or "private" framing for commits

const impl = await getCiphersuiteImpl(getCiphersuiteFromName("MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519"));
const enc = new TextEncoder();
const rows = [];

console.log(`ts-mls ${tsMlsVersion()} on node ${process.version}, ${os.cpus()[0]?.model ?? "?"} x${os.cpus().length}`);
console.log(`suite 1, commits as ${commitWire} messages, sizes ${sizes.join(", ")}\n`);

for (const n of sizes) {
  const sizeStart = performance.now();
  const setupStart = performance.now();
  const g = await buildGroup(n);
  const setupMs = performance.now() - setupStart;
  console.log(`group of ${n}: built in ${(setupMs / 1000).toFixed(1)} s`);
  rows.push({ op: "setup: build group (1 commit adding n-1) + receiver join", n, median: setupMs, iters: 1, warmup: 0 });

  // Fewer iterations as groups grow; beyond 1,024 members one operation takes tens of seconds,
  // far longer than JIT warm-up, so no warm-up iteration is spent there.
  const iters = n <= 16 ? 20 : n <= 128 ? 10 : n <= 1024 ? 7 : 3;
  const warmup = n <= 1024 ? 1 : 0;

  // Commit that adds one member (no UpdatePath for an add-only commit; Welcome with the tree).
  const newcomer = await keyPackage(`newcomer-${n}`);
  const addProposal = { proposalType: "add", add: { keyPackage: newcomer.publicPackage } };
  await measure("commit add 1: create", n, iters, warmup, () => commitBytes(g.alice, [addProposal], true));
  const addCommit = await commitBytes(g.alice, [addProposal], true);
  await measure("commit add 1: process", n, iters, warmup, () => processBytes(g.bob, addCommit.commit));

  // Commit with no proposals: an update of the committer's leaf with a full UpdatePath.
  await measure("commit update (path): create", n, iters, warmup, () => commitBytes(g.alice, []));
  const updCommit = await commitBytes(g.alice, []);
  await measure("commit update (path): process", n, iters, warmup, () => processBytes(g.bob, updCommit.commit));

  // Commit that removes the last member (for n = 2 that is the receiver itself).
  const removeProposal = { proposalType: "remove", remove: { removed: n - 1 } };
  await measure("commit remove 1: create", n, iters, warmup, () => commitBytes(g.alice, [removeProposal]));
  const remCommit = await commitBytes(g.alice, [removeProposal]);
  await measure("commit remove 1: process", n, iters, warmup, () => processBytes(g.bob, remCommit.commit));

  // A newcomer joins the n-member group through a Welcome carrying the ratchet_tree extension.
  const joinCommit = await createCommit(
    { state: g.alice, cipherSuite: impl },
    { extraProposals: [addProposal], ratchetTreeExtension: true, wireAsPublicMessage: commitWire === "public" },
  );
  const welcomeBytes = encodeMlsMessage({ version: "mls10", wireformat: "mls_welcome", welcome: joinCommit.welcome });
  await measure("join by Welcome (tree in extension)", n, iters, warmup, async () => {
    const [msg] = decodeMlsMessage(welcomeBytes, 0);
    return joinGroup(msg.welcome, newcomer.publicPackage, newcomer.privatePackage, emptyPskIndex, impl);
  });

  // Application message protect (sender) + unprotect (receiver), as wire bytes.
  let sender = g.alice;
  let receiver = g.bob;
  for (const [label, size] of [["100 B", 100], ["1 MiB", 1 << 20]]) {
    const payload = new Uint8Array(size).fill(7);
    await measure(`protect+unprotect ${label}`, n, size > 1000 ? 20 : 200, 5, async () => {
      const sent = await createApplicationMessage(sender, payload, impl);
      const bytes = encodeMlsMessage({ version: "mls10", wireformat: "mls_private_message", privateMessage: sent.privateMessage });
      const [msg] = decodeMlsMessage(bytes, 0);
      const got = await processMessage(msg, receiver, emptyPskIndex, acceptAll, impl);
      if (got.kind !== "applicationMessage" || got.message.length !== size) throw new Error("bad round trip");
      sender = sent.newState;
      receiver = got.newState;
    });
  }

  const sizeSeconds = (performance.now() - sizeStart) / 1000;
  console.log(`group of ${n}: all operations in ${sizeSeconds.toFixed(1)} s\n`);
  if (sizeSeconds > budgetSeconds) {
    const rest = sizes.filter((s) => s > n);
    if (rest.length > 0) console.log(`stopping: ${n} members took ${sizeSeconds.toFixed(0)} s > budget ${budgetSeconds} s; not run: ${rest.join(", ")}`);
    break;
  }
}

printTable(rows);
if (args.json) writeFileSync(args.json, JSON.stringify(rows, null, 1));

async function buildGroup(n) {
  const alice = await keyPackage("member-0");
  let aliceState = await createGroup(enc.encode(`bench-${n}`), alice.publicPackage, alice.privatePackage, [], impl);
  const bob = await keyPackage("member-1");
  const adds = [{ proposalType: "add", add: { keyPackage: bob.publicPackage } }];
  for (let i = 2; i < n; i++) {
    const kp = await keyPackage(`member-${i}`);
    adds.push({ proposalType: "add", add: { keyPackage: kp.publicPackage } });
  }
  const result = await createCommit({ state: aliceState, cipherSuite: impl }, { extraProposals: adds });
  aliceState = result.newState;
  const bobState = await joinGroup(result.welcome, bob.publicPackage, bob.privatePackage, emptyPskIndex, impl, aliceState.ratchetTree);
  return { alice: aliceState, bob: bobState };
}

function keyPackage(identity) {
  const credential = { credentialType: "basic", identity: enc.encode(identity) };
  return generateKeyPackage(credential, defaultCapabilities(), defaultLifetime, [], impl);
}

async function commitBytes(state, proposals, ratchetTreeExtension = false) {
  const r = await createCommit(
    { state, cipherSuite: impl },
    { extraProposals: proposals, wireAsPublicMessage: commitWire === "public", ratchetTreeExtension },
  );
  const commit = encodeMlsMessage(r.commit);
  const welcome = r.welcome && encodeMlsMessage({ version: "mls10", wireformat: "mls_welcome", welcome: r.welcome });
  return { commit, welcome };
}

async function processBytes(state, bytes) {
  const [msg] = decodeMlsMessage(bytes, 0);
  const r = await processMessage(msg, state, emptyPskIndex, acceptAll, impl);
  if (r.kind !== "newState") throw new Error("expected a commit");
  return r;
}

async function measure(op, n, iters, warmup, fn) {
  for (let i = 0; i < warmup; i++) await fn();
  const times = [];
  for (let i = 0; i < iters; i++) {
    const t0 = performance.now();
    await fn();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  const median = times.length % 2 ? times[(times.length - 1) / 2] : (times[times.length / 2 - 1] + times[times.length / 2]) / 2;
  rows.push({ op, n, median, min: times[0], max: times.at(-1), iters, warmup });
  console.log(`  ${op.padEnd(40)} n=${String(n).padStart(5)}  median ${fmt(median)} ms  (min ${fmt(times[0])}, max ${fmt(times.at(-1))}, ${iters} iters)`);
}

function printTable(all) {
  console.log("\n| operation | members | median ms | min ms | max ms | iterations (+ warm-up) |");
  console.log("| --- | ---: | ---: | ---: | ---: | --- |");
  for (const r of all) {
    console.log(`| ${r.op} | ${r.n} | ${fmt(r.median)} | ${r.min === undefined ? "" : fmt(r.min)} | ${r.max === undefined ? "" : fmt(r.max)} | ${r.iters} (+${r.warmup}) |`);
  }
}

function fmt(ms) {
  return ms >= 100 ? ms.toFixed(0) : ms >= 10 ? ms.toFixed(1) : ms.toFixed(3);
}

function tsMlsVersion() {
  const pkg = JSON.parse(readFileSync(new URL("./node_modules/ts-mls/package.json", import.meta.url), "utf8"));
  return pkg.version;
}

function parseArgs(argv) {
  const out = {};
  for (let i = 0; i < argv.length; i++) {
    if (argv[i].startsWith("--")) out[argv[i].slice(2)] = argv[i + 1];
    i++;
  }
  return out;
}
