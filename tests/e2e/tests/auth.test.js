// A signaling server with tokens (--auth-secret-file): the page logs in with
// ?token= or its Token field, says in words when a login needs a token, and
// nobody but the bot holding its token can be `server`.
import assert from "node:assert/strict";
import * as P from "../lib/mediapeer-page.js";
import { mintExpiredToken, mintToken, writeSecret, writeTokenFile } from "../lib/tokens.js";

// /config.json hands this to a valid token only: seeing it in the page shows
// the page asked with its token. Nothing answers there; loopback calls need no STUN.
const stunUrl = "stun:127.0.0.1:9";

// mediapeer-signal with a fresh secret. open: anonymous logins allowed, but
// `server` is reserved to its token (what scripts/demo --auth runs).
async function signalWithTokens(t, { open }) {
  const secret = writeSecret(t.tempDir());
  const extraArgs = ["--auth-secret-file", secret, "--stun", stunUrl];
  if (open) extraArgs.push("--allow-anonymous", "--reserved-name", "server");
  const signal = await t.signal({ extraArgs });
  signal.secret = secret;
  return signal;
}

// The echo bot, logged in as `server` with the token minted for it.
async function botWithToken(t, signal) {
  const tokenFile = writeTokenFile(t.tempDir(), "server", mintToken(signal.secret, "server"));
  return t.peer(signal, { extraArgs: ["--token-file", tokenFile] });
}

function iceServerUrls(page) {
  return page.evaluate(() => window.mediapeer.iceServers.flatMap((server) => [].concat(server.urls)));
}

function loginsSent(page) {
  return page.framesSent.map((text) => JSON.parse(text)).filter((frame) => frame.type === "login");
}

function assertTokenNotInConsole(page, token) {
  const leaks = page.consoleLines.filter((line) => line.includes(token));
  assert.deepEqual(leaks, [], "the token is in none of the console's lines");
}

export default [
  {
    name: "TokenInTheUrl_PageLogsInAsAlice_CallsTheBot_OwnVideoComesBack",
    async run(t) {
      const signal = await signalWithTokens(t, { open: true });
      await botWithToken(t, signal);
      const token = mintToken(signal.secret, "alice");
      const browser = await t.browser();
      const page = await P.openAndLogin(browser, `${signal.url}?token=${encodeURIComponent(token)}`, "alice");
      assert.equal(await page.inputValue("#token"), token, "the Token field holds the URL's token");
      assert.deepEqual(loginsSent(page), [{ type: "login", name: "alice", token }]);
      assert.equal(await P.errorShown(page), null, "nothing was refused on the way in");

      await P.callFromList(page, "server");
      await P.waitPhase(page, "connected");
      const stats = await P.waitVideoDecoded(page);
      assert.equal(stats.codec, stats.sentCodec, "the echo comes back in the codec sent");
      assert.ok(stats.framesEncoded > 0, "the page sends video");
      const callIceUrls = await page.evaluate(() =>
        window.mediapeer.pc.getConfiguration().iceServers.flatMap((server) => server.urls));
      assert.deepEqual(callIceUrls, [stunUrl], "the call has the ICE servers /config.json gave the token");
      assertTokenNotInConsole(page, token);
    },
  },
  {
    name: "ReservedName_PageWithoutAToken_IsToldSoInWords_AndAnotherNameWorks",
    async run(t) {
      const signal = await signalWithTokens(t, { open: true });
      const browser = await t.browser();
      const page = await P.openPage(browser, signal.url);
      await P.tryLogin(page, "server");

      const shown = await P.waitErrorCode(page, "reserved_name");
      assert.equal(shown.kind, "login-refused");
      assert.equal(shown.text,
        'The name "server" is reserved on this server: logging in with it takes its own token. Choose another name.');
      await P.waitPhase(page, "login");
      await P.login(page, "alice"); // anonymous: any other free name
      assert.equal(await P.errorShown(page), null, "the refusal is gone once logged in");
    },
  },
  {
    name: "TokenRequired_PageWithoutAToken_IsToldSo_ThenLogsInWithTheTokenTyped",
    async run(t) {
      const signal = await signalWithTokens(t, { open: false });
      const browser = await t.browser();
      const page = await P.openPage(browser, signal.url);
      await P.tryLogin(page, "alice");
      let shown = await P.waitErrorCode(page, "token_required");
      assert.equal(shown.kind, "login-refused");
      assert.equal(shown.text,
        'This server needs a token to log in as "alice": paste it in the Token field, or open the page with ?token=….');
      assert.deepEqual(await iceServerUrls(page), [], "no ICE servers without a token");

      const token = mintToken(signal.secret, "alice");
      await page.fill("#token", token);
      await P.tryLogin(page, "bob");
      shown = await P.waitErrorCode(page, "wrong_name");
      assert.match(shown.text, /^That token is for another name, not "bob"/);

      const expired = mintExpiredToken(signal.secret, "alice");
      await page.fill("#token", expired);
      await P.tryLogin(page, "alice");
      shown = await P.waitErrorCode(page, "token_expired");
      assert.equal(shown.text, "The token has expired: get a new one, paste it in the Token field and log in again.");

      await page.fill("#token", token);
      await P.login(page, "alice");
      assert.deepEqual(await iceServerUrls(page), [stunUrl], "/config.json asked again with the token typed");
      assertTokenNotInConsole(page, token);
      assertTokenNotInConsole(page, expired);
    },
  },
];
