// Debian's Chromium, driven by playwright-core (no browser download):
// headless, a fake camera and microphone granted without asking, and
// loopback allowed for WebRTC (Chromium leaves 127.0.0.1 out by default).
import { existsSync } from "node:fs";
import { chromium } from "playwright-core";

export const chromiumPath = process.env.MEDIAPEER_CHROMIUM ?? "/usr/bin/chromium";
export const installCommand = "apt-get install -y chromium";

export const chromiumArgs = [
  "--use-fake-device-for-media-stream",
  "--use-fake-ui-for-media-stream",
  "--allow-loopback-in-peer-connection",
];

// Fails, never skips: a test run without a browser has tested nothing.
export function findChromium(file = chromiumPath) {
  if (!existsSync(file)) {
    throw new Error(`no Chromium at ${file}: the e2e tests need Debian's chromium; install it with: ${installCommand}`);
  }
  return file;
}

// args replaces the default flags (e.g. to leave out the fake permission prompt).
export async function launchChromium({ args = chromiumArgs } = {}) {
  return chromium.launch({ executablePath: findChromium(), headless: true, args });
}
