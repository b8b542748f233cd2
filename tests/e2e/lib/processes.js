// The programs under test, started for one test on 127.0.0.1:0 and stopped
// by it: mediapeer-signal (page + WebSocket) and mediapeer (the server peer).
import { spawn } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { waitFor } from "./poll.js";

const here = path.dirname(fileURLToPath(import.meta.url));
export const sourceDir = process.env.MEDIAPEER_SOURCE ?? path.resolve(here, "../../..");
export const buildDir = process.env.MEDIAPEER_BUILD ?? path.join(sourceDir, "build");

// Every child still running, so an interrupted run leaves none behind.
const running = new Set();
process.on("exit", () => {
  for (const child of running) child.kill("SIGKILL");
});
// meson's timeout and Ctrl-C come as signals: stop what we started, then exit
// (Playwright closes its browsers on these too, but does not exit).
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) {
  process.on(signal, () => {
    for (const child of running) child.kill("SIGTERM");
    setTimeout(() => process.exit(1), 2000);
  });
}

// A child process whose output is kept, to wait on and to show on failure.
export class Program {
  constructor(name, file, args) {
    this.name = name;
    this.output = "";
    this.exitCode = undefined;
    this.child = spawn(file, args, { stdio: ["ignore", "pipe", "pipe"] });
    running.add(this.child);
    const keep = (chunk) => (this.output += chunk.toString());
    this.child.stdout.on("data", keep);
    this.child.stderr.on("data", keep);
    this.exited = new Promise((resolve) => {
      this.child.on("exit", (code, signal) => {
        running.delete(this.child);
        this.exitCode = code ?? signal;
        resolve(this.exitCode);
      });
      this.child.on("error", (error) => {
        running.delete(this.child);
        this.output += `cannot start ${file}: ${error.message}\n`;
        this.exitCode = "spawn-error";
        resolve(this.exitCode);
      });
    });
  }

  get pid() {
    return this.child.pid;
  }

  async waitForOutput(pattern, what, timeoutMs = 15000) {
    return waitFor(`${this.name}: ${what}`, () => {
      if (this.exitCode !== undefined) throw new Error(`${this.name} exited (${this.exitCode}):\n${this.output}`);
      return this.output.match(pattern);
    }, { timeoutMs, intervalMs: 20 });
  }

  // SIGTERM, then SIGKILL if it has not exited within `graceMs`. Returns the exit code.
  async stop(graceMs = 8000) {
    if (this.exitCode !== undefined) return this.exitCode;
    this.child.kill("SIGTERM");
    const timer = setTimeout(() => this.child.kill("SIGKILL"), graceMs);
    const code = await this.exited;
    clearTimeout(timer);
    return code;
  }
}

// mediapeer-signal on a free loopback port; resolves once it listens.
export async function startSignal({ webRoot = path.join(sourceDir, "web"), extraArgs = [] } = {}) {
  const program = new Program("mediapeer-signal", path.join(buildDir, "src/mediapeer-signal"),
    ["--listen", "127.0.0.1:0", "--web-root", webRoot, ...extraArgs]);
  const match = await program.waitForOutput(/listening on (http:\/\/\S+)/, "listening");
  program.url = match[1].endsWith("/") ? match[1] : `${match[1]}/`;
  program.wsUrl = program.url.replace(/^http/, "ws");
  return program;
}

// mediapeer logged in to `signal` as `name`; resolves once it serves.
export async function startPeer(signal, { name = "server", recordDir, pipeline, extraArgs = [] } = {}) {
  const args = ["--signal", signal.wsUrl, "--name", name, "--ice-address", "127.0.0.1"];
  if (recordDir) args.push("--record-dir", recordDir);
  if (pipeline) args.push("--pipeline", pipeline);
  const program = new Program(`mediapeer ${name}`, path.join(buildDir, "src/mediapeer"), [...args, ...extraArgs]);
  await program.waitForOutput(/mediapeer logged in as/, "logged in");
  return program;
}
