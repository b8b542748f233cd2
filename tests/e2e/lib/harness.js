// A small test runner: each test gets a context `t` whose servers, browsers
// and temporary directories are cleaned up when it ends, pass or fail; the
// results go to a GoogleTest-shaped XML report that scripts/test counts.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { launchChromium } from "./browser.js";
import { startPeer, startSignal } from "./processes.js";

const testTimeoutMs = 90000;

class TestContext {
  constructor(name) {
    this.name = name;
    this.cleanups = [];
    this.programs = [];
    this.browsers = [];
  }

  // Runs at the end of the test, last registered first.
  defer(cleanup) {
    this.cleanups.push(cleanup);
  }

  async signal(options) {
    const program = await startSignal(options);
    this.track(program);
    return program;
  }

  async peer(signal, options) {
    const program = await startPeer(signal, options);
    this.track(program);
    return program;
  }

  track(program) {
    this.programs.push(program);
    this.defer(() => program.stop());
  }

  async browser(options) {
    const browser = await launchChromium(options);
    this.browsers.push(browser);
    this.defer(() => browser.close());
    return browser;
  }

  tempDir() {
    const dir = mkdtempSync(path.join(os.tmpdir(), "mediapeer-e2e-"));
    this.defer(() => rmSync(dir, { recursive: true, force: true }));
    return dir;
  }

  // What the programs and pages said: shown with a failure.
  diagnostics() {
    const parts = this.programs.map((p) => `--- ${p.name} (pid ${p.pid}) output, last 3000 chars:\n${p.output.slice(-3000)}`);
    for (const browser of this.browsers) {
      for (const page of browser.contexts().flatMap((c) => c.pages())) {
        if (page.consoleLines?.length) parts.push(`--- console of ${page.url()}:\n${page.consoleLines.slice(-30).join("\n")}`);
      }
    }
    return parts.join("\n");
  }

  async cleanUp() {
    for (const cleanup of this.cleanups.reverse()) {
      try {
        await cleanup();
      } catch (error) {
        console.error(`  cleanup of ${this.name} failed: ${error.message}`);
      }
    }
  }
}

function withTimeout(promise, ms, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took longer than ${ms / 1000} s`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

async function runOne(test) {
  const t = new TestContext(test.name);
  const started = Date.now();
  let failure = null;
  try {
    await withTimeout(test.run(t), test.timeoutMs ?? testTimeoutMs, "the test");
  } catch (error) {
    failure = { message: error.message, detail: `${error.stack}\n${t.diagnostics()}` };
  }
  await t.cleanUp();
  return { name: test.name, seconds: (Date.now() - started) / 1000, failure };
}

export async function runTests(tests, { xmlPath } = {}) {
  const results = [];
  for (const test of tests) {
    process.stdout.write(`[ RUN      ] ${test.name}\n`);
    const result = await runOne(test);
    results.push(result);
    if (result.failure) process.stdout.write(`${result.failure.detail}\n`);
    const verdict = result.failure ? "[  FAILED  ]" : "[       OK ]";
    process.stdout.write(`${verdict} ${test.name} (${Math.round(result.seconds * 1000)} ms)\n`);
  }
  if (xmlPath) writeFileSync(xmlPath, gtestXml(results));
  const failed = results.filter((r) => r.failure);
  process.stdout.write(`${results.length - failed.length} passed, ${failed.length} failed\n`);
  for (const r of failed) process.stdout.write(`  FAILED: ${r.name}: ${r.failure.message}\n`);
  return failed.length === 0;
}

function escapeXml(text) {
  return String(text)
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, "")
    .replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

// The shape GoogleTest writes with --gtest_output=xml, which scripts/test reads.
export function gtestXml(results) {
  const failures = results.filter((r) => r.failure).length;
  const seconds = results.reduce((sum, r) => sum + r.seconds, 0).toFixed(3);
  const counts = `tests="${results.length}" failures="${failures}" disabled="0" errors="0" time="${seconds}"`;
  const cases = results.map((r) => {
    const open = `    <testcase name="${escapeXml(r.name)}" status="run" result="completed" time="${r.seconds.toFixed(3)}" classname="e2e"`;
    if (!r.failure) return `${open} />`;
    return `${open}>\n      <failure message="${escapeXml(r.failure.message)}" type="">${escapeXml(r.failure.detail)}</failure>\n    </testcase>`;
  });
  return [
    `<?xml version="1.0" encoding="UTF-8"?>`,
    `<testsuites name="AllTests" ${counts}>`,
    `  <testsuite name="e2e" ${counts}>`,
    ...cases,
    `  </testsuite>`,
    `</testsuites>`,
    ``,
  ].join("\n");
}
