// Two signaling nodes sharing one Redis (docs/cluster.md): a page loaded from
// node B calls the bot logged in to node A and its own video comes back; a
// pool with one member on each node answers two pages of node B, one call each.
import assert from "node:assert/strict";
import { metrics, startCluster } from "../lib/cluster.js";
import * as P from "../lib/mediapeer-page.js";
import { waitFor } from "../lib/poll.js";
import { startPeer } from "../lib/processes.js";

// mediapeer logged in to `node`, serving its /metrics on a port of its own
// (--http), so that the test can ask which bot has the call.
async function botOn(t, node, extraArgs = []) {
  const bot = await startPeer(node, { extraArgs: ["--http", "127.0.0.1:0", ...extraArgs] });
  t.track(bot);
  bot.name = `mediapeer server on ${node.nodeId}`;
  const match = await bot.waitForOutput(/mediapeer status on (http:\/\/\S+)/, "its status URL");
  bot.statusUrl = match[1].endsWith("/") ? match[1] : `${match[1]}/`;
  return bot;
}

// Until `node` mirrors `count` users of other nodes (it heard their `online`).
async function waitMirrored(node, count) {
  await waitFor(`${node.nodeId} to mirror ${count} user(s) of other nodes`, async () => {
    const seen = (await metrics(node.url)).mediapeer_signal_cluster_remote_users;
    if (seen === count) return true;
    throw new Error(`it mirrors ${seen}`);
  });
}

// Who the page's list says is online (its own name is left out).
function usersListed(page) {
  return page.evaluate(() => [...document.querySelectorAll("#users li[data-user]")].map((li) => li.dataset.user));
}

async function waitUsersListed(page, expected) {
  return waitFor(`the page to list ${JSON.stringify(expected)}`, async () => {
    const listed = await usersListed(page);
    if (JSON.stringify(listed) === JSON.stringify(expected)) return true;
    throw new Error(`it lists ${JSON.stringify(listed)}`);
  });
}

// What the page's remote <video> plays: its size, once it has a picture.
function remoteVideoSize(page) {
  return page.evaluate(() => {
    const video = document.getElementById("remote-video");
    return { width: video.videoWidth, height: video.videoHeight, playing: !video.paused && video.readyState >= 2 };
  });
}

// The echo's video back in `page`: decoded and rising, in the codec sent,
// and on the screen at the size the browser decodes.
async function expectOwnVideoBack(page) {
  const stats = await P.waitVideoDecoded(page);
  assert.ok(stats.framesEncoded > 0, "the page sends video");
  assert.equal(stats.codec, stats.sentCodec, "the echo comes back in the codec sent");
  assert.ok(stats.width > 0 && stats.height > 0, `decoded frames have a size (${stats.width}x${stats.height})`);
  const size = await waitFor("the remote <video> to play a picture", async () => {
    const now = await remoteVideoSize(page);
    return now.playing && now.width > 0 ? now : null;
  });
  const after = await P.videoStats(page);
  assert.deepEqual([size.width, size.height], [after.width, after.height],
    "the remote <video> shows the frames decoded, at their size");
}

function assertOnOrigin(page, node) {
  assert.equal(new URL(page.url()).origin, new URL(node.url).origin, `the page is loaded from ${node.nodeId}`);
}

export default [
  {
    name: "Cluster_PageOnNodeBCallsBotOnNodeA_ListsItAndGetsItsVideoBack",
    async run(t) {
      const { nodes: [a, b] } = await startCluster(t, ["node-a", "node-b"]);
      const bot = await botOn(t, a);
      await waitMirrored(b, 1);
      const browser = await t.browser();
      const page = await P.openAndLogin(browser, b.url, "alice");
      assertOnOrigin(page, b);
      await waitUsersListed(page, ["server"]);
      const [onA, onB] = await Promise.all([metrics(a.url), metrics(b.url)]);
      assert.equal(onA.mediapeer_signal_users, 1, "node A holds one user (server)");
      assert.equal(onB.mediapeer_signal_users, 1, "node B holds one user (alice)");

      await P.callFromList(page, "server");
      await P.waitPhase(page, "connected");
      await expectOwnVideoBack(page);

      const [afterA, afterB, botMetrics] = await Promise.all([metrics(a.url), metrics(b.url), metrics(bot.statusUrl)]);
      assert.equal(botMetrics.mediapeer_active_calls, 1, "the bot on node A has the call");
      assert.ok(afterB.mediapeer_signal_cluster_relays_out_total > 0, "node B relayed alice's frames to node A");
      assert.ok(afterA.mediapeer_signal_cluster_relays_in_total > 0, "node A took them in");
      assert.ok(afterA.mediapeer_signal_cluster_relays_out_total > 0, "node A relayed the bot's answer to node B");
    },
  },
  {
    name: "Cluster_PoolMemberOnEachNode_TwoPagesOnNodeB_EachCallGetsItsVideoBack",
    async run(t) {
      const { nodes: [a, b] } = await startCluster(t, ["node-a", "node-b"]);
      const pool = ["--pool", "--max-calls", "1"];
      const bots = [await botOn(t, a, pool), await botOn(t, b, pool)];
      await waitMirrored(b, 1);
      const browser = await t.browser();
      const bob = await P.openAndLogin(browser, b.url, "bob");
      await waitUsersListed(bob, ["server"]); // one name for the pool, wherever its members are
      const carol = await P.openAndLogin(browser, b.url, "carol");
      await waitUsersListed(carol, ["bob", "server"]);
      const pages = [bob, carol];
      for (const page of pages) assertOnOrigin(page, b);

      // One call at a time, so that the second goes wherever the first left room.
      for (const page of pages) {
        await P.callFromList(page, "server");
        await P.waitPhase(page, "connected");
      }
      await Promise.all(pages.map((page) => expectOwnVideoBack(page)));

      const calls = await Promise.all(bots.map(async (bot) => (await metrics(bot.statusUrl)).mediapeer_active_calls));
      assert.deepEqual(calls, [1, 1], "each member, on node A and on node B, has one call");
      assert.ok((await metrics(a.url)).mediapeer_signal_cluster_relays_in_total > 0,
        "node A took in the frames of the call to its member");
    },
  },
];
