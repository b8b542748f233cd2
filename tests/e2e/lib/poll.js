// Waiting with a deadline: tests poll for what they expect, never sleep for it.

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// Calls `probe` until it returns something truthy, and returns that; throws
// `what` (plus the last value seen) when `timeoutMs` passes first.
export async function waitFor(what, probe, { timeoutMs = 15000, intervalMs = 100 } = {}) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    try {
      last = await probe();
      if (last) return last;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) {
      const seen = last instanceof Error ? last.message : JSON.stringify(last);
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (last seen: ${seen})`);
    }
    await sleep(intervalMs);
  }
}
