// A cluster of signaling nodes for one test (docs/cluster.md): its own
// redis-server on a free loopback port, and mediapeer-signal nodes sharing it,
// each serving the page. All stopped when the test ends, pass or fail.
import { createServer } from "node:net";
import { Program } from "./processes.js";
import { waitFor } from "./poll.js";

export const redisInstallCommand = "apt-get install -y redis-server";

// A free TCP port on 127.0.0.1: the kernel's pick, released again. Another
// process may take it meanwhile: startRedis tries again then.
function freeTcpPort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

// redis-server on a free loopback port, keeping nothing on disk (its --dir a
// temporary directory all the same); resolves once it accepts connections.
export async function startRedis(t) {
  const dir = t.tempDir();
  let last;
  for (let tries = 0; tries < 3; ++tries) {
    const port = await freeTcpPort();
    const program = new Program("redis-server", "redis-server", ["--port", String(port), "--bind", "127.0.0.1",
      "--save", "", "--appendonly", "no", "--daemonize", "no", "--dir", dir]);
    t.track(program);
    try {
      await program.waitForOutput(/Ready to accept connections/, "ready", 10000);
      program.url = `redis://127.0.0.1:${port}`;
      return program;
    } catch (error) {
      last = error;
      await program.stop();
      if (program.exitCode === "spawn-error") break; // not installed: no use trying other ports
    }
  }
  throw new Error(`redis-server did not start (the cluster tests need it: ${redisInstallCommand}): ${last.message}`);
}

// A node of the cluster on `redis`: mediapeer-signal with --redis and
// --node-id, serving the page like any signaling server of the tests.
export async function startNode(t, redis, nodeId, { heartbeatMs, extraArgs = [] } = {}) {
  const args = ["--redis", redis.url, "--node-id", nodeId];
  if (heartbeatMs) args.push("--heartbeat-ms", String(heartbeatMs));
  const node = await t.signal({ extraArgs: [...args, ...extraArgs] });
  node.name = `mediapeer-signal ${nodeId}`;
  node.nodeId = nodeId;
  return node;
}

// The node's /healthz: its HTTP status and its JSON.
export async function health(node) {
  const response = await fetch(new URL("healthz", node.url));
  return { status: response.status, body: await response.json() };
}

// Waits until every node's /healthz is 200, says it is its own node on Redis
// that is up, and hears all `nodes` (itself included).
export async function waitClusterFormed(nodes, timeoutMs = 15000) {
  for (const node of nodes) {
    await waitFor(`${node.name} in a cluster of ${nodes.length}`, async () => {
      const { status, body } = await health(node);
      if (status === 200 && body.node === node.nodeId && body.redis === "up" && body.nodes === nodes.length) return true;
      throw new Error(`/healthz ${status} ${JSON.stringify(body)}`);
    }, { timeoutMs });
  }
}

// Redis, then one node per id; resolves once they form one cluster.
export async function startCluster(t, nodeIds, options) {
  const redis = await startRedis(t);
  const nodes = [];
  for (const id of nodeIds) nodes.push(await startNode(t, redis, id, options));
  await waitClusterFormed(nodes);
  return { redis, nodes };
}

// The samples of a Prometheus text page (/metrics) without labels, by name.
export async function metrics(url) {
  const response = await fetch(new URL("metrics", url));
  if (response.status !== 200) throw new Error(`GET ${url}metrics: ${response.status}`);
  const samples = {};
  for (const line of (await response.text()).split("\n")) {
    const match = line.match(/^([a-zA-Z_:][a-zA-Z0-9_:]*) (\S+)$/);
    if (match) samples[match[1]] = Number(match[2]);
  }
  return samples;
}
