// What a recording left by `mediapeer --record-dir` holds, as
// gst-discoverer-1.0 reads it, and whether the muxer finished it.
import { execFile } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

export function recordingsIn(dir) {
  return readdirSync(dir).map((name) => path.join(dir, name));
}

// {seconds, video, audio, text}: the duration and the stream types
// ("VP8", "H.264", "Opus") that gst-discoverer-1.0 found.
export async function discover(file) {
  const { stdout } = await run("gst-discoverer-1.0", [file], { timeout: 30000 });
  const duration = stdout.match(/Duration: (\d+):(\d+):(\d+(?:\.\d+)?)/);
  const seconds = duration ? Number(duration[1]) * 3600 + Number(duration[2]) * 60 + Number(duration[3]) : null;
  return {
    seconds,
    video: stdout.match(/video #\d+: (.+)/)?.[1].trim() ?? null,
    audio: stdout.match(/audio #\d+: (.+)/)?.[1].trim() ?? null,
    text: stdout,
  };
}

// Matroska's Cues element (ID 1C 53 BB 6B) is written when the muxer
// finishes. The same bytes stand in the SeekHead as a SeekID (after 53 AB 84):
// those do not count.
export function finalizedMatroska(file) {
  const bytes = readFileSync(file);
  const cues = Buffer.from([0x1c, 0x53, 0xbb, 0x6b]);
  const seekId = Buffer.from([0x53, 0xab, 0x84]);
  for (let at = bytes.indexOf(cues); at >= 0; at = bytes.indexOf(cues, at + 1)) {
    if (at < 3 || !bytes.subarray(at - 3, at).equals(seekId)) return true;
  }
  return false;
}
