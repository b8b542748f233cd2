// Mint a mediapeer token in an application's own backend (Node.js, no
// packages): an HS256 JWT whose `sub` is the one name it may log in as.
//
//     node mint_token.mjs SECRET_FILE NAME [TTL_SECONDS]
import { createHmac } from "node:crypto";
import { readFileSync } from "node:fs";

const b64url = (data) => Buffer.from(data).toString("base64url");

export function mint(secret, name, ttl = 3600) {
  const now = Math.floor(Date.now() / 1000);
  const header = b64url(JSON.stringify({ alg: "HS256", typ: "JWT" }));
  const claims = b64url(JSON.stringify({ sub: name, iat: now, exp: now + ttl }));
  const signature = createHmac("sha256", secret).update(`${header}.${claims}`).digest("base64url");
  return `${header}.${claims}.${signature}`;
}

// The key is the file's contents without trailing white space, as
// mediapeer-signal --auth-secret-file reads it.
const [secretFile, name, ttl] = process.argv.slice(2);
console.log(mint(readFileSync(secretFile, "utf8").trimEnd(), name, ttl ? Number(ttl) : 3600));
