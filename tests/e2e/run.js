#!/usr/bin/env node
// Runs the end-to-end tests: real Chromium against the real mediapeer-signal
// and mediapeer on 127.0.0.1. Writes build/e2e.xml (GoogleTest's shape) and
// exits non-zero when a test failed.
//   node tests/e2e/run.js [--filter TEXT] [--xml FILE] [--list]
import { existsSync, readdirSync } from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));

function option(name) {
  const at = process.argv.indexOf(name);
  return at > 0 ? process.argv[at + 1] : undefined;
}

if (!existsSync(path.join(here, "node_modules/playwright-core"))) {
  console.error(`playwright-core is missing; install it with: (cd ${here} && npm ci --no-audit --no-fund)`);
  process.exit(1);
}

const { runTests } = await import("./lib/harness.js");
const { buildDir } = await import("./lib/processes.js");

const tests = [];
const testDir = path.join(here, "tests");
for (const file of readdirSync(testDir).filter((f) => f.endsWith(".test.js")).sort()) {
  const module = await import(pathToFileURL(path.join(testDir, file)).href);
  tests.push(...module.default);
}

const filter = option("--filter");
const chosen = filter ? tests.filter((t) => t.name.includes(filter)) : tests;
if (process.argv.includes("--list")) {
  for (const t of chosen) console.log(t.name);
  process.exit(0);
}
if (chosen.length === 0) {
  console.error(`no test matches ${filter}`);
  process.exit(1);
}

const xmlPath = option("--xml") ?? path.join(buildDir, "e2e.xml");
const ok = await runTests(chosen, { xmlPath });
process.exit(ok ? 0 : 1);
