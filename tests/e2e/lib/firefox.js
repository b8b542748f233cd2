// Debian's Firefox ESR, driven by puppeteer-core over WebDriver BiDi (no
// browser download): headless, a fake camera and microphone granted without
// asking. Its pages get the two Playwright methods lib/mediapeer-page.js
// uses, so the same helpers drive both browsers.
import { existsSync } from "node:fs";

export const firefoxPath = process.env.MEDIAPEER_FIREFOX ?? "/usr/bin/firefox-esr";
export const firefoxInstallCommand = "apt-get install -y firefox-esr";

const prefs = {
  "media.navigator.streams.fake": true,
  "media.navigator.permission.disabled": true,
};

// Fails, never skips: a run without Firefox has tested nothing in it.
export function findFirefox(file = firefoxPath) {
  if (!existsSync(file)) {
    throw new Error(`no Firefox at ${file}: the Firefox tests need Debian's firefox-esr; install it with: ${firefoxInstallCommand}`);
  }
  return file;
}

// Imported here, not at the top, so that a tree without it fails these
// tests with the command, not the whole run.
async function puppeteer() {
  try {
    return (await import("puppeteer-core")).default;
  } catch (error) {
    throw new Error(`puppeteer-core is missing (${error.message}); install it with: (cd tests/e2e && npm ci --no-audit --no-fund)`);
  }
}

// A Firefox closed when the test ends. The harness prints the console of
// the pages of t.browsers, which it reads Playwright's way: it gets a view
// of this browser's pages in that shape.
export async function launchFirefox(t) {
  const executablePath = findFirefox();
  const browser = await (await puppeteer()).launch({
    browser: "firefox", protocol: "webDriverBiDi", executablePath, headless: true, extraPrefsFirefox: prefs,
  });
  t.defer(() => browser.close());
  browser.openedPages = [];
  t.browsers.push({ contexts: () => [{ pages: () => browser.openedPages }] });
  return browser;
}

// Playwright's page.fill and page.textContent, on a puppeteer page.
function adapt(page) {
  page.fill = (selector, text) => page.locator(selector).fill(text);
  page.textContent = (selector) => page.$eval(selector, (element) => element.textContent);
  return page;
}

// A page of its own (own browser context: own storage, own tab) on `url`,
// as lib/mediapeer-page.js's openPage makes one in Chromium.
export async function openFirefoxPage(browser, url) {
  const context = await browser.createBrowserContext();
  const page = adapt(await context.newPage());
  page.consoleLines = [];
  page.on("console", (message) => page.consoleLines.push(`${message.type()}: ${message.text()}`));
  page.on("pageerror", (error) => page.consoleLines.push(`pageerror: ${error.message}`));
  browser.openedPages.push(page);
  await page.goto(url);
  return page;
}
