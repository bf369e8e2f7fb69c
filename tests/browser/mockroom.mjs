// A stand-in for webrtcroom while the real room (C++ signaller + element)
// is being written: serves the web pages at the URLs the plugin's HTTP
// server uses and speaks the room protocol (docs/room-protocol.md) on
// ws://.../room/<name>, so the pages and /static/room.js can be tested.
//
// Signalling (WebSocket, a minimal RFC 6455 server: no npm dependency) runs
// here in Node; the room's media side runs in a page of a Chromium that the
// caller hands over (`engine`, a playwright BrowserContext): one
// RTCPeerConnection per participant, the room offering first (receiving
// video + audio, data channels `board` and `files`), real forwarding of each
// participant's tracks to the others (Chromium sends remote tracks on),
// the data channels relayed, sequenced and logged as the spec says. Node
// hands each WebSocket frame to that page and the page answers through
// exposed bindings. (@roamhq/wrtc would have let the room live in Node, but
// it is not installed and this project adds no npm dependencies.)
//
//   const room = await startMockRoom({ engine: context });
//   page.goto(`${room.base}/room/test?name=Ada`); page.click('#join');
//   await room.state();            // the room's view (participants, logs, glares)
//   await room.dropSocket(id);     // cut a participant's socket (tests resume)
//   await room.close();
//
// Run by hand: `node tests/browser/mockroom.mjs [port]` starts Chromium for
// the engine and serves on 127.0.0.1:<port> (default 8099) until ^C.
import { createServer } from 'node:http';
import { createHash } from 'node:crypto';
import { readFileSync, existsSync } from 'node:fs';
import { dirname, join, basename } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
const WEB = join(HERE, '..', '..', 'ext', 'rtcbridge', 'web');
const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
const MAX_FRAME = 256 * 1024;

// ---- a minimal WebSocket server connection ----

class WsConn {
  constructor(socket, head, onMessage, onClose) {
    this.socket = socket;
    this.buffer = head && head.length ? Buffer.from(head) : Buffer.alloc(0);
    this.fragments = null;
    this.closed = false;
    this.onMessage = onMessage;
    this.onClose = onClose;
    socket.setNoDelay(true);
    socket.on('data', (d) => {
      this.buffer = Buffer.concat([this.buffer, d]);
      this.parse();
    });
    socket.on('close', () => this.finish(1006, ''));
    socket.on('error', () => this.finish(1006, ''));
    if (this.buffer.length) setImmediate(() => this.parse());
  }

  parse() {
    for (;;) {
      const b = this.buffer;
      if (b.length < 2) return;
      const fin = (b[0] & 0x80) !== 0;
      const opcode = b[0] & 0x0f;
      const masked = (b[1] & 0x80) !== 0;
      let len = b[1] & 0x7f;
      let off = 2;
      if (len === 126) {
        if (b.length < 4) return;
        len = b.readUInt16BE(2);
        off = 4;
      } else if (len === 127) {
        if (b.length < 10) return;
        len = Number(b.readBigUInt64BE(2));
        off = 10;
      }
      if (len > MAX_FRAME) return this.close(1009, 'too big');
      if (!masked) return this.close(1002, 'client frames must be masked');
      if (b.length < off + 4 + len) return;
      const mask = b.subarray(off, off + 4);
      const payload = Buffer.from(b.subarray(off + 4, off + 4 + len));
      for (let i = 0; i < len; i++) payload[i] ^= mask[i & 3];
      this.buffer = b.subarray(off + 4 + len);
      if (opcode === 0x8) {
        const code = payload.length >= 2 ? payload.readUInt16BE(0) : 1005;
        this.close(code === 1005 ? 1000 : code, '');
        return;
      }
      if (opcode === 0x9) { this.frame(0xa, payload); continue; }
      if (opcode === 0xa) continue;
      if (opcode === 0x1 || opcode === 0x2) this.fragments = { opcode, parts: [payload] };
      else if (opcode === 0x0 && this.fragments) this.fragments.parts.push(payload);
      else return this.close(1002, 'protocol error');
      if (!fin) continue;
      const { opcode: op, parts } = this.fragments;
      this.fragments = null;
      const data = Buffer.concat(parts);
      if (data.length > MAX_FRAME) return this.close(1009, 'too big');
      if (op === 0x2) return this.close(1003, 'binary frames are refused');
      this.onMessage(data.toString('utf8'));
    }
  }

  frame(opcode, payload) {
    if (this.closed) return;
    const len = payload.length;
    let header;
    if (len < 126) header = Buffer.from([0x80 | opcode, len]);
    else if (len < 65536) {
      header = Buffer.alloc(4);
      header[0] = 0x80 | opcode;
      header[1] = 126;
      header.writeUInt16BE(len, 2);
    } else {
      header = Buffer.alloc(10);
      header[0] = 0x80 | opcode;
      header[1] = 127;
      header.writeBigUInt64BE(BigInt(len), 2);
    }
    this.socket.write(Buffer.concat([header, payload]));
  }

  send(text) { this.frame(0x1, Buffer.from(text, 'utf8')); }

  close(code, reason) {
    if (this.closed) return;
    const r = Buffer.from(String(reason || '').slice(0, 100), 'utf8');
    const p = Buffer.alloc(2 + r.length);
    p.writeUInt16BE(code, 0);
    r.copy(p, 2);
    this.frame(0x8, p);
    this.socket.end();
    this.finish(code, reason);
  }

  // Cuts the TCP connection without a close frame (a dropped network).
  drop() {
    this.socket.destroy();
    this.finish(1006, '');
  }

  finish(code, reason) {
    if (this.closed) return;
    this.closed = true;
    this.onClose(code, reason);
  }
}

// ---- the room, in the engine page (serialized into it; no closures) ----

function roomEngine(config) {
  const LOGGED = new Set(['board']);
  const DATA = [{ label: 'board', ordered: true, log: true }, { label: 'files', ordered: true }];
  const rooms = new Map(); // name -> room
  const heldResumes = new Map(); // participant id -> until (ms): its resumes are refused
  const conns = new Map(); // conn -> {room, p}
  let queue = Promise.resolve();
  let nextId = 1;
  const stats = { glares: 0, offers: 0, answers: 0, clientOffers: 0, errors: [], largestFrame: 0 };

  const send = (conn, obj) => {
    const text = JSON.stringify(obj);
    stats.largestFrame = Math.max(stats.largestFrame, text.length);
    window.mockSend(conn, text);
  };
  const closeConn = (conn, code, reason) => window.mockClose(conn, code, reason);
  const info = (p) => ({ id: p.id, name: p.name, pipeline: false,
    tracks: [...p.tracks.values()].map((t) => ({ id: t.id, kind: t.kind, label: t.label, muted: t.muted })) });
  const roomOf = (name) => {
    if (!rooms.has(name)) {
      rooms.set(name, { name, participants: new Map(), gone: new Map(), chatSeq: 0,
        dataSeq: {}, log: [], logBytes: 0, chat: [] });
    }
    return rooms.get(name);
  };
  const others = (room, p) => [...room.participants.values()].filter((q) => q !== p);
  const error = (conn, code, message, ref) => {
    stats.errors.push(code);
    send(conn, { type: 'error', code, message, ref });
  };

  function trackMap(p) {
    const map = {};
    for (const s of p.slots) {
      if (s.track && s.transceiver.mid) {
        map[s.transceiver.mid] = { participant: s.owner, track: s.track.id, kind: s.track.kind, label: s.track.label };
      }
    }
    return map;
  }

  async function negotiate(p) {
    if (p.closed) return;
    if (p.offering || p.pc.signalingState !== 'stable') {
      p.dirty = true;
      return;
    }
    p.dirty = false;
    p.offering = true;
    const offer = await p.pc.createOffer();
    await p.pc.setLocalDescription(offer);
    stats.offers++;
    send(p.conn, { type: 'description', sdp: { type: 'offer', sdp: p.pc.localDescription.sdp }, tracks: trackMap(p) });
  }

  // Chromium sends a remote video track on as it is; a remote audio track
  // only flows once something plays it, so it goes through Web Audio.
  let audioContext = null;
  function forwardable(track) {
    if (track.kind !== 'audio') return track;
    const stream = new MediaStream([track]);
    const sink = new Audio();
    sink.muted = true;
    sink.srcObject = stream;
    sink.play().catch(() => {});
    if (!audioContext) audioContext = new AudioContext();
    audioContext.resume().catch(() => {});
    const dest = audioContext.createMediaStreamDestination();
    audioContext.createMediaStreamSource(stream).connect(dest);
    return dest.stream.getAudioTracks()[0];
  }

  function addSlot(q, owner, t) {
    let slot = q.slots.find((s) => !s.track && s.kind === t.kind);
    if (!slot) {
      const transceiver = q.pc.addTransceiver(t.kind, { direction: 'sendonly' });
      slot = { transceiver, kind: t.kind, track: null, owner: null };
      q.slots.push(slot);
    }
    slot.track = t;
    slot.owner = owner.id;
    slot.transceiver.sender.replaceTrack(t.remote);
    slot.transceiver.direction = 'sendonly';
  }

  function removeSlots(q, pred) {
    let changed = false;
    for (const s of q.slots) {
      if (s.track && pred(s)) {
        s.transceiver.sender.replaceTrack(null);
        s.transceiver.direction = 'inactive';
        s.track = null;
        s.owner = null;
        changed = true;
      }
    }
    return changed;
  }

  function relay(room, p, label, data) {
    if (typeof data === 'string') {
      let msg;
      try {
        msg = JSON.parse(data);
      } catch (e) {
        return;
      }
      if (!msg || typeof msg !== 'object' || Array.isArray(msg)) return;
      const logged = LOGGED.has(label);
      if (logged && (room.log.length >= config.logMax || room.logBytes + data.length > 16 * 1024 * 1024)) {
        const dc = p.channels[label];
        if (dc && dc.readyState === 'open') dc.send(JSON.stringify({ seq: 0, from: 'room', msg: { op: 'error', code: 'log-full' } }));
        return;
      }
      room.dataSeq[label] = (room.dataSeq[label] || 0) + 1;
      const entry = JSON.stringify({ seq: room.dataSeq[label], from: p.id, name: p.name, msg });
      if (logged) {
        if (msg.op === 'clear') {
          room.log = [];
          room.logBytes = 0;
        }
        room.log.push(entry);
        room.logBytes += entry.length;
      }
      for (const q of room.participants.values()) {
        if (q === p && !logged) continue;
        const dc = q.channels[label];
        if (dc && dc.readyState === 'open') dc.send(entry);
      }
    } else {
      for (const q of others(room, p)) {
        const dc = q.channels[label];
        if (dc && dc.readyState === 'open') dc.send(data);
      }
    }
  }

  function setupPeer(room, p) {
    const pc = new RTCPeerConnection({ bundlePolicy: 'max-bundle' });
    p.pc = pc;
    pc.onicecandidate = (e) => {
      if (p.closed) return;
      const c = e.candidate;
      send(p.conn, { type: 'candidate', candidate: c ? { candidate: c.candidate, sdpMid: c.sdpMid, sdpMLineIndex: c.sdpMLineIndex } : null });
    };
    pc.addTransceiver('video', { direction: 'recvonly' });
    pc.addTransceiver('audio', { direction: 'recvonly' });
    for (const q of others(room, p)) for (const t of q.tracks.values()) addSlot(p, q, t);
    for (const d of DATA) {
      const dc = pc.createDataChannel(d.label, { ordered: true });
      dc.binaryType = 'arraybuffer';
      p.channels[d.label] = dc;
      dc.onopen = () => {
        if (LOGGED.has(d.label)) for (const entry of room.log) dc.send(entry);
      };
      dc.onmessage = (e) => relay(room, p, d.label, e.data);
    }
  }

  function leaveRoom(room, p, reason) {
    if (p.closed) return;
    p.closed = true;
    room.participants.delete(p.id);
    room.gone.set(p.id, { secret: p.secret, until: Date.now() + config.graceMs });
    p.pc.close();
    for (const q of room.participants.values()) {
      send(q.conn, { type: 'left', id: p.id, reason });
      if (removeSlots(q, (s) => s.owner === p.id)) negotiate(q).catch((e) => console.error('mockroom:', e));
    }
  }

  async function handle(conn, text) {
    const c = conns.get(conn);
    if (!c) return;
    let msg;
    try {
      msg = JSON.parse(text);
    } catch (e) {
      msg = null;
    }
    if (!msg || typeof msg !== 'object' || typeof msg.type !== 'string') return error(conn, 'bad-json', 'not a JSON object with a type');
    const room = c.room;
    const p = c.p;
    if (p) p.lastSeen = Date.now();
    if (!p && msg.type !== 'join') return error(conn, 'not-joined', 'join first', msg.type);
    switch (msg.type) {
      case 'join': {
        if (p) return error(conn, 'already-joined', 'already joined', 'join');
        if (msg.v !== 1) {
          error(conn, 'version', 'this room speaks version 1', 'join');
          return closeConn(conn, 4000, 'version');
        }
        if (config.token && msg.token !== config.token) {
          error(conn, 'unauthorized', 'wrong or no token', 'join');
          return closeConn(conn, 4001, 'unauthorized');
        }
        if (typeof msg.name !== 'string' || msg.name.length > 64) return error(conn, 'bad-message', 'name', 'join');
        let id = null;
        if (msg.resume && typeof msg.resume === 'object' && (heldResumes.get(msg.resume.id) || 0) > Date.now()) {
          return closeConn(conn, 4010, 'held'); // holdResume: the page tries again
        }
        if (msg.resume && typeof msg.resume === 'object') {
          const gone = room.gone.get(msg.resume.id);
          const present = room.participants.get(msg.resume.id);
          if (gone && gone.secret === msg.resume.secret && gone.until > Date.now()) {
            id = msg.resume.id;
            room.gone.delete(id);
          } else if (present && present.secret === msg.resume.secret) {
            leaveRoom(room, present, 'resumed'); // a stale socket we had not noticed
            closeConn(present.conn, 4010, 'resumed elsewhere');
            room.gone.delete(present.id);
            id = present.id;
          } else {
            error(conn, 'resume', 'unknown id or wrong secret: a new id is given', 'join');
          }
        }
        if (room.participants.size >= config.maxParticipants) {
          error(conn, 'full', 'the room is full', 'join');
          return closeConn(conn, 4003, 'full');
        }
        const np = { id: id || `p${nextId++}`, name: msg.name, secret: Math.random().toString(36).slice(2),
          conn, tracks: new Map(), slots: [], channels: {}, offering: false, dirty: false, closed: false,
          candidates: [], lastSeen: Date.now(), trackCount: 0 };
        c.p = np;
        send(conn, { type: 'welcome', v: 1, room: room.name, id: np.id, secret: np.secret,
          roster: [...room.participants.values()].map(info),
          ice_servers: [], limits: { max_participants: config.maxParticipants, max_message_bytes: 262144, messages_per_second: 50 },
          data: DATA });
        // As the room does: a resumed participant gets the chat after its
        // resume.chat_seq (of the latest 100).
        if (id && msg.resume && Number.isInteger(msg.resume.chat_seq)) {
          for (const m of room.chat.slice(-100)) if (m.seq > msg.resume.chat_seq) send(conn, m);
        }
        for (const q of room.participants.values()) send(q.conn, { type: 'joined', participant: info(np) });
        room.participants.set(np.id, np);
        setupPeer(room, np);
        await negotiate(np);
        return;
      }
      case 'description': {
        const sdp = msg.sdp;
        if (!sdp || (sdp.type !== 'offer' && sdp.type !== 'answer') || typeof sdp.sdp !== 'string') return error(conn, 'bad-message', 'sdp', 'description');
        if (sdp.type === 'answer') {
          if (p.pc.signalingState !== 'have-local-offer') return error(conn, 'state', 'no offer outstanding', 'description');
          await p.pc.setRemoteDescription(sdp);
          stats.answers++;
          p.offering = false;
          for (const cand of p.candidates.splice(0)) await p.pc.addIceCandidate(cand).catch(() => {});
          if (p.dirty) await negotiate(p);
          return;
        }
        stats.clientOffers++;
        if (p.forceGlare && !p.offering && p.pc.signalingState === 'stable') {
          // test hook: the room's own offer crosses the client's
          p.forceGlare = false;
          await negotiate(p);
        }
        if (p.offering || p.pc.signalingState !== 'stable') {
          stats.glares++;
          return error(conn, 'glare', 'the room has an offer outstanding', 'description');
        }
        await p.pc.setRemoteDescription(sdp);
        for (const cand of p.candidates.splice(0)) await p.pc.addIceCandidate(cand).catch(() => {});
        await p.pc.setLocalDescription(await p.pc.createAnswer());
        send(conn, { type: 'description', sdp: { type: 'answer', sdp: p.pc.localDescription.sdp }, tracks: trackMap(p) });
        if (p.dirty) await negotiate(p);
        return;
      }
      case 'candidate': {
        if (!msg.candidate || !msg.candidate.candidate) return;
        if (!p.pc.remoteDescription) p.candidates.push(msg.candidate);
        else await p.pc.addIceCandidate(msg.candidate).catch(() => {});
        return;
      }
      case 'track': {
        const kind = msg.kind;
        if (typeof msg.mid !== 'string' || (kind !== 'video' && kind !== 'audio')) return error(conn, 'bad-message', 'mid/kind', 'track');
        if (msg.action === 'publish') {
          const tr = p.pc.getTransceivers().find((t) => t.mid === msg.mid);
          if (!tr || tr.receiver.track.kind !== kind) return error(conn, 'bad-message', `no ${kind} m-line ${msg.mid}`, 'track');
          const t = { id: `${p.id}-t${++p.trackCount}`, kind, label: String(msg.label || kind).slice(0, 32), muted: false,
            mid: msg.mid, remote: forwardable(tr.receiver.track) };
          p.tracks.set(msg.mid, t);
          for (const q of others(room, p)) {
            send(q.conn, { type: 'track', action: 'published', participant: p.id, track: { id: t.id, kind, label: t.label, muted: false } });
            addSlot(q, p, t);
            await negotiate(q);
          }
        } else if (msg.action === 'unpublish') {
          const t = p.tracks.get(msg.mid);
          if (!t) return error(conn, 'bad-message', `no track on ${msg.mid}`, 'track');
          p.tracks.delete(msg.mid);
          for (const q of others(room, p)) {
            send(q.conn, { type: 'track', action: 'unpublished', participant: p.id, track: { id: t.id, kind, label: t.label, muted: t.muted } });
            if (removeSlots(q, (s) => s.track === t)) await negotiate(q);
          }
        } else {
          return error(conn, 'bad-message', 'action', 'track');
        }
        return;
      }
      case 'mute': {
        const t = p.tracks.get(msg.mid);
        if (!t) return error(conn, 'bad-message', 'no such track', 'mute');
        t.muted = !!msg.muted;
        for (const q of others(room, p)) send(q.conn, { type: 'mute', participant: p.id, track: t.id, muted: t.muted });
        return;
      }
      case 'chat': {
        if (typeof msg.text !== 'string' || msg.text.length > 4096) return error(conn, 'bad-message', 'text', 'chat');
        const m = { type: 'chat', from: p.id, name: p.name, text: msg.text, seq: ++room.chatSeq, ts: Date.now() };
        room.chat.push(m);
        for (const q of room.participants.values()) send(q.conn, m);
        return;
      }
      case 'ping':
        send(conn, { type: 'pong', ts: msg.ts });
        return;
      case 'pong':
        return;
      case 'leave':
        leaveRoom(room, p, 'left');
        c.p = null;
        closeConn(conn, 1000, 'leave');
        return;
      default:
        return error(conn, 'unknown-type', `unknown type ${msg.type}`, msg.type);
    }
  }

  setInterval(() => {
    queue = queue.then(() => {
      const now = Date.now();
      for (const room of rooms.values()) {
        for (const p of [...room.participants.values()]) {
          if (now - p.lastSeen > config.keepaliveTimeoutMs) {
            leaveRoom(room, p, 'timeout');
            closeConn(p.conn, 4010, 'timeout');
          } else {
            send(p.conn, { type: 'ping', ts: now });
          }
        }
      }
    });
  }, 5000);

  window.mock = {
    open(conn, roomName) { conns.set(conn, { room: roomOf(roomName), p: null }); },
    message(conn, text) {
      queue = queue.then(() => handle(conn, text)).catch((e) => console.error('mockroom:', e && e.stack || e));
    },
    closed(conn) {
      queue = queue.then(() => {
        const c = conns.get(conn);
        conns.delete(conn);
        if (c && c.p && !c.p.closed) leaveRoom(c.room, c.p, 'dropped');
      });
    },
    holdResume(id, ms) {
      heldResumes.set(id, Date.now() + ms);
    },
    forceGlare(roomName, id) {
      const room = rooms.get(roomName);
      const p = room && room.participants.get(id);
      if (p) p.forceGlare = true;
      return !!p;
    },
    participantConn(roomName, id) {
      const room = rooms.get(roomName);
      const p = room && room.participants.get(id);
      return p ? p.conn : null;
    },
    state(roomName) {
      const room = rooms.get(roomName);
      return {
        ...stats,
        participants: room ? [...room.participants.values()].map((p) => ({ ...info(p),
          slots: p.slots.filter((s) => s.track).length, connection: p.pc.connectionState,
          channels: Object.fromEntries(Object.entries(p.channels).map(([k, v]) => [k, v.readyState])) })) : [],
        chat: room ? room.chat.map((m) => ({ seq: m.seq, from: m.from, text: m.text })) : [],
        logLength: room ? room.log.length : 0,
        dataSeq: room ? room.dataSeq : {},
      };
    },
  };
}

// Serves @webDir at the plugin's URLs and the room on ws://.../room/<name>.
// @engine: a playwright BrowserContext (Chromium) to run the room's media in.
export async function startMockRoom({ engine, port = 0, host = '127.0.0.1', token = null, graceMs = 10000,
  keepaliveTimeoutMs = 15000, maxParticipants = 16, logMax = 100000, webDir = WEB } = {}) {
  const sockets = new Map(); // conn -> WsConn
  const connRoom = new Map(); // conn -> room name
  const reports = new Map(); // Firefox pages: key -> latest report
  let nextConn = 1;
  let chain = Promise.resolve();
  let page = null;
  const log = [];

  const file = (name) => {
    const path = join(webDir, basename(name));
    return existsSync(path) ? readFileSync(path) : null;
  };
  const mime = (name) => (name.endsWith('.html') ? 'text/html; charset=utf-8'
    : name.endsWith('.js') ? 'text/javascript; charset=utf-8'
      : name.endsWith('.css') ? 'text/css; charset=utf-8' : 'application/octet-stream');
  // Pages in browsers that playwright cannot drive (Firefox) post their
  // roomTest.state() here: /__ff/room/<name> is the page plus that reporter.
  const reporter = `<script type="module">
const key = new URLSearchParams(location.search).get('name') || 'page';
setInterval(async () => {
  if (!window.roomTest) return;
  let s;
  try {
    s = await window.roomTest.state();
    if (window.roomTest.boardHash) s.hash = await window.roomTest.boardHash();
  } catch (e) { s = { error: String(e) }; }
  fetch('/__report', { method: 'POST', body: JSON.stringify({ key, state: s }) }).catch(() => {});
}, 1000);
</script>`;

  const server = createServer((req, res) => {
    const url = new URL(req.url, 'http://x');
    const parts = url.pathname.split('/').filter(Boolean);
    const reply = (status, type, body) => {
      res.writeHead(status, { 'Content-Type': type, 'Cache-Control': 'no-cache' });
      res.end(body);
    };
    log.push(`${req.method} ${url.pathname}`);
    if (req.method === 'POST' && url.pathname === '/__report') {
      let body = '';
      req.on('data', (c) => { body += c; });
      req.on('end', () => {
        try {
          const r = JSON.parse(body);
          reports.set(r.key, r.state);
        } catch (e) { /* ignore */ }
        res.end('ok');
      });
      return;
    }
    const ff = parts[0] === '__ff';
    const p = ff ? parts.slice(1) : parts;
    if (p.length === 2 && (p[0] === 'room' || p[0] === 'board')) {
      let html = file(p[0] === 'room' ? 'room.html' : 'board.html');
      if (!html) return reply(404, 'text/plain', 'not found');
      if (ff) html = html.toString().replace('</body>', `${reporter}</body>`);
      return reply(200, 'text/html; charset=utf-8', html);
    }
    if (p.length === 2 && p[0] === 'static') {
      const body = file(p[1]);
      return body ? reply(200, mime(p[1]), body) : reply(404, 'text/plain', 'not found');
    }
    if (url.pathname === '/__engine') return reply(200, 'text/html', '<!DOCTYPE html><title>room engine</title>');
    if (url.pathname === '/favicon.ico') return reply(204, 'text/plain', '');
    return reply(404, 'text/plain', 'not found');
  });

  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url, 'http://x');
    const m = /^\/room\/([^/]+)$/.exec(url.pathname);
    const key = req.headers['sec-websocket-key'];
    if (!m || !key || !page) {
      socket.end('HTTP/1.1 400 Bad Request\r\n\r\n');
      return;
    }
    const accept = createHash('sha1').update(key + GUID).digest('base64');
    const offered = String(req.headers['sec-websocket-protocol'] || '').split(',').map((s) => s.trim());
    const lines = ['HTTP/1.1 101 Switching Protocols', 'Upgrade: websocket', 'Connection: Upgrade',
      `Sec-WebSocket-Accept: ${accept}`];
    if (offered.includes('rtcbridge-room.v1')) lines.push('Sec-WebSocket-Protocol: rtcbridge-room.v1');
    socket.write(`${lines.join('\r\n')}\r\n\r\n`);
    const conn = nextConn++;
    const roomName = decodeURIComponent(m[1]);
    connRoom.set(conn, roomName);
    const call = (fn, ...args) => {
      chain = chain.then(() => page.evaluate(fn, args)).catch((e) => { if (page) log.push(`engine: ${e.message}`); });
    };
    const ws = new WsConn(socket, head, (text) => call(([c, t]) => window.mock.message(c, t), conn, text),
      () => {
        sockets.delete(conn);
        call(([c]) => window.mock.closed(c), conn);
      });
    sockets.set(conn, ws);
    call(([c, r]) => window.mock.open(c, r), conn, roomName);
  });

  await new Promise((resolve) => server.listen(port, host, resolve));
  const base = `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${server.address().port}`;
  page = await engine.newPage();
  page.on('console', (m) => { if (m.type() === 'error') log.push(`engine console: ${m.text()}`); });
  await page.exposeBinding('mockSend', (src, conn, text) => {
    const ws = sockets.get(conn);
    if (ws) ws.send(text);
  });
  await page.exposeBinding('mockClose', (src, conn, code, reason) => {
    const ws = sockets.get(conn);
    if (ws) ws.close(code, reason);
  });
  await page.goto(`${base}/__engine`);
  await page.evaluate(roomEngine, { token, graceMs, keepaliveTimeoutMs, maxParticipants, logMax });

  return {
    base,
    port: server.address().port,
    log,
    reports,
    engine: page,
    state: (roomName) => page.evaluate((r) => window.mock.state(r), roomName),
    // The room answers @id's next offer with an offer of its own and `error glare`.
    forceGlare: (roomName, id) => page.evaluate(([r, i]) => window.mock.forceGlare(r, i), [roomName, id]),
    // Cuts @id's socket as a network failure would (no close frame); its
    // resumes are refused (closed, 4010) for @holdMs.
    dropSocket: async (roomName, id, holdMs = 0) => {
      if (holdMs) await page.evaluate(([i, ms]) => window.mock.holdResume(i, ms), [id, holdMs]);
      const conn = await page.evaluate(([r, i]) => window.mock.participantConn(r, i), [roomName, id]);
      const ws = conn && sockets.get(conn);
      if (ws) ws.drop();
      return !!ws;
    },
    close: async () => {
      for (const ws of sockets.values()) ws.drop();
      const p = page;
      page = null;
      await p.close().catch(() => {});
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { launchChromium } = await import('./chromium.mjs');
  const browser = await launchChromium();
  const room = await startMockRoom({ engine: browser.context, port: Number(process.argv[2] || 8099) });
  console.log(`mock room on ${room.base}: ${room.base}/room/test  ${room.base}/board/test`);
  process.on('SIGINT', async () => {
    await room.close();
    await browser.close();
    process.exit(0);
  });
}
