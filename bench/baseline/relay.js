#!/usr/bin/env node
// The baseline of bench/signal-load: a minimal Node.js relay of the signaling
// protocol subset the load uses (docs/protocol.md): login with
// name-taken refusal; offer/answer/candidate/leave routed by `name` between
// call partners, the payload forwarded as a string, the sender's name set by
// the relay; `leave` to the partners on disconnect. WebSocket on any path,
// no compression (the C++ server has none either).
//
//   node relay.js --listen 127.0.0.1:0
//
// Prints "node-relay listening on http://ADDR:PORT/" once it serves.
'use strict';

const { WebSocketServer } = require('ws');

const MAX_NAME_CHARS = 64;
const MAX_FRAME_BYTES = 64 * 1024;

function parseListen(argv) {
  let spec = '127.0.0.1:8091';
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--listen' && i + 1 < argv.length) spec = argv[++i];
    else if (argv[i].startsWith('--listen=')) spec = argv[i].slice('--listen='.length);
  }
  const colon = spec.lastIndexOf(':');
  if (colon < 0) throw new Error(`--listen ${spec}: expected ADDR:PORT`);
  let host = spec.slice(0, colon);
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  return { host, port: Number(spec.slice(colon + 1)) };
}

// Clients send payloads as objects; the reference page JSON.parse()s what it
// gets, so an object is serialized and a string passed through.
function payloadString(value) {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

function invalidName(name) {
  if (typeof name !== 'string' || name.length < 1 || name.length > MAX_NAME_CHARS)
    return 'a name is 1-64 characters';
  if (/[\u0000-\u001f\u007f]/.test(name)) return 'a name has no control characters';
  if (name.trim() === '') return 'a name is not only white space';
  return null;
}

class Relay {
  constructor() {
    this.byName = new Map();  // name -> connection state
  }

  send(peer, frame) {
    if (peer.ws.readyState === peer.ws.OPEN) peer.ws.send(JSON.stringify(frame));
  }

  error(c, message) {
    this.send(c, { type: 'error', message });
  }

  login(c, msg) {
    if (c.name) return this.error(c, `already logged in as ${c.name}`);
    const reason = invalidName(msg.name);
    if (reason) return this.send(c, { type: 'login', success: false, message: reason });
    if (this.byName.has(msg.name))
      return this.send(c, { type: 'login', success: false, message: 'name taken' });
    c.name = msg.name;
    this.byName.set(c.name, c);
    this.send(c, { type: 'login', success: true, myName: c.name });
  }

  link(a, b) {
    a.partners.delete(b);
    a.partners.add(b);  // most recent last
  }

  offer(c, msg) {
    if (msg.name === c.name) return this.error(c, 'cannot call yourself');
    const callee = this.byName.get(msg.name);
    if (!callee) return this.error(c, `user ${msg.name} is not online`);
    this.link(c, callee);
    this.link(callee, c);
    this.send(callee, { type: 'offer', offer: payloadString(msg.offer), name: c.name });
  }

  // The named partner; else, for an empty or unknown name, the latest one.
  peerFor(c, name) {
    const named = name ? this.byName.get(name) : undefined;
    if (named && c.partners.has(named)) return named;
    if (c.partners.size === 0) return this.error(c, 'not in a call');
    if (name && (named || c.partners.size > 1)) return this.error(c, `not in a call with ${name}`);
    return [...c.partners].pop();
  }

  relay(c, msg) {
    const to = this.peerFor(c, msg.name);
    if (!to) return;
    if (msg.type === 'leave') {
      c.partners.delete(to);
      to.partners.delete(c);
      return this.send(to, { type: 'leave', name: c.name });
    }
    const key = msg.type;  // answer or candidate
    this.send(to, { type: key, [key]: payloadString(msg[key]), name: c.name });
  }

  onMessage(c, data, isBinary) {
    if (isBinary) return c.ws.close(1003, 'binary frames are not accepted');
    let msg;
    try {
      msg = JSON.parse(data);
    } catch (e) {
      return this.error(c, 'not JSON');
    }
    if (msg === null || typeof msg !== 'object' || Array.isArray(msg))
      return this.error(c, 'not a JSON object');
    if (msg.type === 'login') return this.login(c, msg);
    if (!c.name) return this.error(c, 'log in first');
    if (msg.type === 'offer') return this.offer(c, msg);
    if (msg.type === 'answer' || msg.type === 'candidate' || msg.type === 'leave')
      return this.relay(c, msg);
    this.error(c, `unknown type ${JSON.stringify(msg.type)}`);
  }

  onClose(c) {
    for (const partner of c.partners) {
      partner.partners.delete(c);
      this.send(partner, { type: 'leave', name: c.name });
    }
    c.partners.clear();
    if (c.name && this.byName.get(c.name) === c) this.byName.delete(c.name);
  }

  accept(ws) {
    const c = { ws, name: '', partners: new Set() };
    ws.on('message', (data, isBinary) => this.onMessage(c, data, isBinary));
    ws.on('close', () => this.onClose(c));
    ws.on('error', () => {});  // a reset client: 'close' follows
  }
}

function main() {
  const { host, port } = parseListen(process.argv.slice(2));
  const relay = new Relay();
  const wss = new WebSocketServer({
    host, port, perMessageDeflate: false, maxPayload: MAX_FRAME_BYTES, clientTracking: false,
  });
  wss.on('connection', (ws) => relay.accept(ws));
  wss.on('listening', () => {
    const a = wss.address();
    const shown = a.family === 'IPv6' ? `[${a.address}]` : a.address;
    console.log(`node-relay listening on http://${shown}:${a.port}/`);
  });
  wss.on('error', (e) => {
    console.error(`node-relay: ${e.message}`);
    process.exit(1);
  });
  for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => process.exit(0));
}

main();
