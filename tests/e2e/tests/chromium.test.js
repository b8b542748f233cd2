// The run needs Debian's Chromium; without it the tests fail and say how to
// install it: a run that skipped every browser test would look green.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { findChromium } from "../lib/browser.js";

const runner = path.join(path.dirname(fileURLToPath(import.meta.url)), "../run.js");

export default [
  {
    name: "WithoutChromium_ATestFailsWithTheInstallCommand",
    async run(t) {
      assert.throws(() => findChromium("/nonexistent/chromium"), /install it with: apt-get install -y chromium/);

      const xml = path.join(t.tempDir(), "e2e.xml");
      const child = spawnSync(process.execPath,
        [runner, "--filter", "PageCallsServer_Vp8_OwnVideoComesBackDecoded", "--xml", xml],
        { env: { ...process.env, MEDIAPEER_CHROMIUM: "/nonexistent/chromium" }, encoding: "utf8", timeout: 60000 });
      assert.notEqual(child.status, 0, "the run fails");
      assert.match(child.stdout, /apt-get install -y chromium/);
      assert.match(readFileSync(xml, "utf8"), /<testsuites name="AllTests" tests="1" failures="1"/);
    },
  },
];
