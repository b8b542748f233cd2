// Tokens for a signaling server with --auth-secret-file: a secret the test
// makes, and tokens minted the ways a deployment mints them.
import { execFileSync } from "node:child_process";
import { chmodSync, writeFileSync } from "node:fs";
import { randomBytes } from "node:crypto";
import path from "node:path";
import { buildDir, sourceDir } from "./processes.js";

const signalProgram = path.join(buildDir, "src/mediapeer-signal");
const mintTimeoutMs = 10000;

// A fresh HS256 key in `dir`, readable by its owner only (the server refuses
// any other mode). Returns the file's path.
export function writeSecret(dir) {
  const file = path.join(dir, "secret");
  writeOwnerOnly(file, randomBytes(32).toString("hex"));
  return file;
}

// `mediapeer-signal --mint-token NAME`: the token it prints.
export function mintToken(secretFile, name) {
  const out = execFileSync(signalProgram, ["--auth-secret-file", secretFile, "--mint-token", name],
    { encoding: "utf8", timeout: mintTimeoutMs });
  return out.trim();
}

// A token whose lifetime ended `secondsAgo` ago, signed with the right key:
// made by the backend example of docs/operations.md, with a past lifetime.
export function mintExpiredToken(secretFile, name, secondsAgo = 60) {
  const example = path.join(sourceDir, "docs/examples/mint_token.mjs");
  const out = execFileSync(process.execPath, [example, secretFile, name, String(-secondsAgo)],
    { encoding: "utf8", timeout: mintTimeoutMs });
  return out.trim();
}

// `token` in a file for the peers' --token-file. Returns its path.
export function writeTokenFile(dir, name, token) {
  const file = path.join(dir, `${name}.token`);
  writeOwnerOnly(file, `${token}\n`);
  return file;
}

function writeOwnerOnly(file, text) {
  writeFileSync(file, text, { mode: 0o600 });
  chmodSync(file, 0o600); // mode applies to a new file only
}
