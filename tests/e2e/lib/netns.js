// A private network for one test: Firefox gathers no ICE candidates on
// loopback (media.peerconnection.ice.loopback changes nothing in ESR 153) and
// none at all without a default route, so a call on 127.0.0.1 never
// connects. Such a test re-runs itself in a fresh runner under
// `unshare --net`: a network namespace of its own, holding loopback and one
// veth address with the default route, which the kernel deletes when the
// last process in it exits, pass, fail or kill. Everything the test starts
// (programs, browsers, the browsers' driver connections) lives in it.
import { execFileSync } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Program } from "./processes.js";

const runner = path.join(path.dirname(fileURLToPath(import.meta.url)), "../run.js");

// The test the inner runner re-runs, so that it knows it is inside.
const insideVariable = "MEDIAPEER_E2E_PRIVATE_NET";

// The one address ICE finds in the namespace (TEST-NET-2: routed nowhere).
export const privateAddress = "198.51.100.1";

// Both ends of the veth stay in the namespace: it is there only to give
// ICE an interface with a link and a route, not to reach anything.
const setUpCommands = [
  ["link", "set", "lo", "up"],
  ["link", "add", "mpv0", "type", "veth", "peer", "name", "mpv1"],
  ["link", "set", "mpv1", "up"],
  ["link", "set", "mpv0", "up"],
  ["addr", "add", `${privateAddress}/24`, "dev", "mpv0"],
  ["route", "add", "default", "dev", "mpv0"],
];

export function insidePrivateNet(testName) {
  return process.env[insideVariable] === testName;
}

// Gives the (new, empty) namespace this process runs in its network.
function setUpPrivateNet() {
  for (const args of setUpCommands) execFileSync("ip", args, { stdio: ["ignore", "ignore", "pipe"] });
}

// The test `test` (name, run, timeoutMs), run in a private network: outside,
// it re-runs itself there and reports the inner run's verdict; inside, it
// sets up the network and runs. The outer deadline is longer, so that a
// slow test fails with the inner runner's own report.
export function inPrivateNet(test) {
  const innerTimeoutMs = test.timeoutMs ?? 90000;
  return {
    name: test.name,
    timeoutMs: innerTimeoutMs + 15000,
    async run(t) {
      if (!insidePrivateNet(test.name)) return runInPrivateNet(t, test.name);
      setUpPrivateNet();
      return test.run(t);
    },
  };
}

// Root may make a network namespace; anyone else needs a user namespace
// in which it is root, which gives it the same rights over its network.
function unshareArgs() {
  return process.getuid() === 0 ? ["--net"] : ["--user", "--map-root-user", "--net"];
}

async function runInPrivateNet(t, testName) {
  const xml = path.join(t.tempDir(), "e2e.xml");
  const inner = new Program(`${testName} in a private network`, "unshare", [...unshareArgs(), "--",
    "env", `${insideVariable}=${testName}`, process.execPath, runner, "--filter", testName, "--xml", xml]);
  t.defer(() => inner.stop());
  const code = await inner.exited;
  if (code === 0 && /^1 passed, 0 failed$/m.test(inner.output)) return;
  throw innerFailure(testName, code, inner.output);
}

// The inner runner's report of its failure, as it printed it (the error's
// stack and the programs' and pages' output), or all it said.
function innerFailure(testName, code, output) {
  const message = output.match(/^ {2}FAILED: .*?: (.*)$/m)?.[1];
  const error = new Error(message ?? `the run in a private network ended with ${code}`);
  const start = output.indexOf(`[ RUN      ] ${testName}\n`);
  const end = output.indexOf(`[  FAILED  ] ${testName}`);
  error.stack = start >= 0 && end > start ? output.slice(start + testName.length + 14, end).trimEnd() : output;
  return error;
}
