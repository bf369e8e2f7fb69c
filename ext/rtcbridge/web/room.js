// room.js: the browser side of the room protocol (docs/room-protocol.md),
// an ES module served at /static/room.js; it imports roomaudio.js,
// roomchannels.js, roomstats.js (and its quality.js) and sha256.js, served beside it, and
// nothing else.
//
//   import { RoomClient } from '/static/room.js';
//   const room = new RoomClient({ name: 'Ada' });   // room: last path segment
//   room.addEventListener('track', (e) => show(e.detail.participant, e.detail.stream));
//   await room.join();                               // resolves with `welcome`
//   await room.publish(cameraTrack, 'camera');       // before or after join()
//   room.sendChat('hello');
//   await room.sendData('board', { op: 'clear' });
//   room.leave();
//
// new RoomClient(options)
//   url           ws(s)://host/room/<name>; default: this page's host and `room`
//   room          the room's name; default: the last segment of location.pathname
//   name          display name (≤ 64 chars)
//   token         the room's token, if it has one (never put it in a URL)
//   iceServers    overrides welcome.ice_servers
//   receiveMedia  false: answer the room's media m-lines inactive (a page that
//                 only uses chat and data channels); default true
//   reconnect     resume {id, secret} after an unexpected close; default true
//
// Properties: id, roomName, name, state ('new' | 'joining' | 'joined' |
// 'reconnecting' | 'closed'), roster (participants, yourself included, with
// `self: true`), remoteTracks, published, pc (the RTCPeerConnection of the
// current session; a new one after a resume), limits, dataLabels, speaking
// (ids speaking now), activeSpeaker, hostMuted, levels and volumes (a room
// that mixes audio says them; roomaudio.js).
//
// Methods: join(), publish(track, label) → mid, unpublish(track),
// setMuted(track, muted), setVolume(participantId, 0..2) (what you hear of
// them, in a room that mixes audio), sendChat(text), sendData(label, objectOrBinary),
// isDataOpen(label), stats() (per remote track: decoding, loss, jitter, RTT,
// a `quality` of good/fair/poor/stalled), leave(), on(type, fn) → off().
//
// Events (CustomEvent, the payload in `detail`):
//   welcome {id, room, roster, ...}   joined {participant}   left {id, reason}
//   roster {roster}                   (any change of the roster)
//   track {mid, participant, trackId, kind, label, track, stream, muted}
//   trackended {mid, participant, trackId, kind, label, track}
//   tracklabel {mid, participant, trackId, label}: a track's label came after the track
//   published {participant, track} / unpublished {participant, track}
//   mute {participant, track, muted}
//   chat {from, name, text, seq, ts, self}
//   speaking {participant, speaking, level, active, activeSpeaker}
//   host-mute {participant, muted, self}: the host muted someone for everyone (or not any more)
//   levels {levels}: each participant's level now, dBFS (audio mixing)
//   volume {participant, volume}: you set what you hear of someone
//   data {label, seq, from, name, msg} (text) or {label, data} (binary)
//   datachannelopen {label}   datachannelclose {label}
//   error {code, message, ref}   reconnecting {attempt, code, reason}   resumed {id, sameId}
//   closed {code, reason}
//
// Negotiation: the room is impolite, this client polite (perfect
// negotiation): the room's offer rolls back ours, and we offer again once
// stable; `error glare` (the room ignored our offer) also makes us offer
// again. Camera and microphone ride on the room's first offer's receiving
// m-lines (one exchange to join); anything else gets its own transceiver and
// offer. Remote tracks are known by mid from `description.tracks`.

import { RoomAudio } from '/static/roomaudio.js';
import { RoomChannels } from '/static/roomchannels.js';
import { RoomOutbox } from '/static/roomoutbox.js';
import { remoteTrackStats } from '/static/roomstats.js';

export { Sha256, sha256Hex, toHex } from '/static/sha256.js';

const PROTOCOL = 'rtcbridge-room.v1';
const KEEPALIVE_MS = 5000;
const SILENCE_MS = 15000; // no frame at all from the room for this long: reconnect
const RESUME_WINDOW_MS = 10000; // the room's default grace period
const MAX_FRAME = 256 * 1024; // a WebSocket message (the room's limits.max_message_bytes)
// Close codes after which a reconnect cannot help.
const FINAL_CLOSE = new Set([1000, 1001, 1009, 1011, 4000, 4001, 4003, 4008]);

// The m-sections of @sdp: [{kind, mid, direction, port}].
export function sdpSections(sdp) {
  return sdp.split(/\r?\nm=/).slice(1).map((text) => {
    const [kind, port] = text.split(' ', 2);
    const mid = /\na=mid:(\S+)/.exec(text);
    const dir = /\na=(sendrecv|sendonly|recvonly|inactive)\b/.exec(text);
    // Port 0 with a=bundle-only (RFC 8843, what webrtcbin offers for every
    // bundled m-line but the first) is in use; port 0 alone is rejected.
    const used = Number(port) !== 0 || /\na=bundle-only\b/.test(text);
    return { kind, port: Number(port), used, mid: mid ? mid[1] : null, direction: dir ? dir[1] : 'sendrecv' };
  });
}

export class RoomClient extends EventTarget {
  constructor(options = {}) {
    super();
    const segments = typeof location !== 'undefined' ? location.pathname.split('/').filter(Boolean) : [];
    this.roomName = options.room || decodeURIComponent(segments.pop() || 'room');
    this.url = options.url || RoomClient.defaultUrl(this.roomName);
    this.name = String(options.name || 'Guest').slice(0, 64);
    this.token = options.token || null;
    this.iceServersOverride = options.iceServers || null;
    this.receiveMedia = options.receiveMedia !== false;
    this.reconnect = options.reconnect !== false;

    this.id = null;
    this.secret = null;
    this.state = 'new';
    this.pc = null;
    this.limits = { max_participants: 16, max_message_bytes: MAX_FRAME, messages_per_second: 50 };
    this.dataLabels = [];
    this.welcome = null;
    this.signallingRtt = null;

    this._ws = null;
    this._participants = new Map(); // id -> {id, name, tracks, pipeline}
    this._audio = new RoomAudio((type, detail) => this._emit(type, detail), (msg) => this._send(msg));
    this._gone = new Set(); // ids that left: their m-lines are not shown any more
    this._remote = new Map(); // mid -> remote track entry
    this._retired = new WeakSet(); // our transceivers that carried a track and went inactive
    this._trackMap = {}; // description.tracks of the room's latest description
    this._pubs = []; // [{track, label, kind, transceiver, announced, muted, stream}]
    this._own = new Set(); // transceivers this client may send on
    this._data = new RoomChannels((type, detail) => this._emit(type, detail), () => this.state === 'closed');
    this._channels = this._data.channels; // label -> RTCDataChannel (board.test.mjs prints it)
    this._chain = Promise.resolve(); // the room's messages, one at a time
    this._pendingCandidates = [];
    this._makingOffer = false;
    this._offerWanted = false;
    this._firstDone = false;
    this._outbox = new RoomOutbox(() => this.limits,
      () => (this._ws && this._ws.readyState === WebSocket.OPEN ? this._ws : null));
    this._chatSeq = 0; // the latest chat seq seen (join's resume.chat_seq)
    this._keepalive = null;
    this._lastHeard = 0;
    this._leaving = false;
    this._joinWaiter = null;
    this._reconnectStart = 0;
    this._attempt = 0;
  }

  static defaultUrl(room) {
    const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
    return `${scheme}://${location.host}/room/${encodeURIComponent(room)}`;
  }

  on(type, fn) {
    const h = (e) => fn(e.detail, e);
    this.addEventListener(type, h);
    return () => this.removeEventListener(type, h);
  }

  _emit(type, detail) { this.dispatchEvent(new CustomEvent(type, { detail })); }

  get roster() {
    const list = [...this._participants.values()].map((p) => ({ ...p, tracks: [...p.tracks], self: p.id === this.id }));
    if (this.id && !this._participants.has(this.id)) {
      list.unshift({ id: this.id, name: this.name, pipeline: false, self: true,
        tracks: this._pubs.filter((p) => p.announced).map((p) => ({ id: p.mid, kind: p.kind, label: p.label, muted: p.muted })) });
    }
    return list;
  }

  get remoteTracks() { return [...this._remote.values()]; }
  // A room that mixes audio: who speaks now (ids), the active speaker, who
  // the host muted for everyone (ids; "pipeline" too), each participant's
  // level now (dBFS, -127 silent), your volumes of the others (id -> 0..2).
  get speaking() { return this._audio.speaking; }
  get activeSpeaker() { return this._audio.activeSpeaker; }
  get hostMuted() { return this._audio.hostMuted; }
  get levels() { return this._audio.levels; }
  get volumes() { return this._audio.volumes; }
  setVolume(id, volume) { this._audio.setVolume(id, volume); }

  get published() {
    return this._pubs.map((p) => ({ track: p.track, label: p.label, kind: p.kind, mid: p.mid, announced: p.announced, muted: p.muted }));
  }

  // Opens the WebSocket and joins; resolves with the `welcome` message.
  join() {
    if (this.state !== 'new' && this.state !== 'closed') return Promise.reject(new Error(`already ${this.state}`));
    this._leaving = false;
    this.state = 'joining';
    return new Promise((resolve, reject) => {
      this._joinWaiter = { resolve, reject };
      this._connect(false);
    });
  }

  // Sends `leave`; the room closes the socket. Local tracks stay the page's.
  leave() {
    if (this.state === 'closed') return;
    this._leaving = true;
    if (this._ws && this._ws.readyState === WebSocket.OPEN) {
      this._ws.send(JSON.stringify({ type: 'leave' }));
      const ws = this._ws;
      setTimeout(() => ws.close(1000, 'leave'), 1000); // the room closes first, normally
    }
    this._shutdown(1000, 'leave');
  }

  // Publishes @track as @label (camera, microphone, screen, ...). Resolves
  // with its mid once the room has it (negotiated and announced).
  publish(track, label) {
    if (this._pubs.some((p) => p.track === track)) return Promise.reject(new Error('already published'));
    const pub = { track, label: String(label || track.kind).slice(0, 32), kind: track.kind, transceiver: null,
      mid: null, announced: false, muted: !track.enabled, stream: new MediaStream([track]), waiters: [] };
    this._pubs.push(pub);
    const done = new Promise((resolve, reject) => pub.waiters.push({ resolve, reject }));
    if (this.pc && this._firstDone) this._attachLater(pub);
    return done;
  }

  // Stops sending @track and tells the room. Its m-line goes inactive for
  // good: a GStreamer room (webrtcbin 1.22) cannot take an m-line back from
  // inactive, so the next track gets a new one.
  unpublish(track) {
    const i = this._pubs.findIndex((p) => p.track === track);
    if (i < 0) return;
    const [pub] = this._pubs.splice(i, 1);
    for (const w of pub.waiters) w.reject(new Error('unpublished'));
    if (pub.announced && pub.mid) this._send({ type: 'track', action: 'unpublish', mid: pub.mid, kind: pub.kind, label: pub.label });
    const t = pub.transceiver;
    if (t && this.pc && this.pc.signalingState !== 'closed' && !t.stopped) {
      t.sender.replaceTrack(null).catch(() => {});
      t.direction = 'inactive';
      this._retired.add(t);
    }
  }

  // Mutes (sends black or silence) or unmutes @track and tells the room.
  setMuted(track, muted) {
    const pub = this._pubs.find((p) => p.track === track);
    track.enabled = !muted;
    if (!pub) return;
    pub.muted = !!muted;
    if (pub.announced) this._send({ type: 'mute', mid: pub.mid, muted: pub.muted });
  }

  sendChat(text) {
    text = String(text).slice(0, 4096);
    if (!text) return;
    this._send({ type: 'chat', text });
  }

  isDataOpen(label) { return this._data.isOpen(label); }

  // Sends @message on the room data channel @label: an object (as JSON
  // text) or binary (ArrayBuffer or a view), ≤ 64 KiB. Waits for the channel
  // to open and while more than 1 MiB is queued; sends keep their call order.
  sendData(label, message) {
    return this._data.send(label, message, this.pc && this.pc.sctp && this.pc.sctp.maxMessageSize);
  }

  // Connection quality of every remote track (and the selected ICE pair's RTT).
  async stats() {
    const pc = this.pc;
    if (!pc) return [];
    return remoteTrackStats(pc, this._remote);
  }

  // ---- WebSocket ----

  _connect(resume) {
    let ws;
    try {
      ws = new WebSocket(this.url, PROTOCOL);
    } catch (e) {
      this._fail(new Error(`cannot open ${this.url}: ${e.message}`));
      return;
    }
    this._ws = ws;
    ws.onopen = () => {
      if (this._ws !== ws) return;
      this._lastHeard = Date.now();
      const join = { type: 'join', v: 1, name: this.name };
      if (this.token) join.token = this.token;
      // chat_seq: the room sends again the chat said since (while away).
      if (resume && this.id && this.secret) join.resume = { id: this.id, secret: this.secret, chat_seq: this._chatSeq };
      ws.send(JSON.stringify(join));
      this._outbox.sent();
    };
    ws.onmessage = (e) => {
      if (this._ws !== ws) return;
      this._lastHeard = Date.now();
      let msg;
      try {
        msg = JSON.parse(e.data);
      } catch (err) {
        return;
      }
      if (!msg || typeof msg.type !== 'string') return;
      if (globalThis.ROOM_DEBUG) console.debug('room <', e.data);
      // Descriptions and candidates wait for each other; the rest is quick.
      this._chain = this._chain.then(() => this._onMessage(msg)).catch((err) => {
        this._emit('error', { code: 'client', message: String(err && err.message || err), ref: msg.type });
      });
    };
    ws.onclose = (e) => {
      if (this._ws !== ws) return;
      this._ws = null;
      this._onSocketClosed(e.code, e.reason);
    };
    ws.onerror = () => { /* onclose follows */ };
  }

  _onSocketClosed(code, reason) {
    if (this._leaving || this.state === 'closed') return;
    const canResume = this.reconnect && this.id && !FINAL_CLOSE.has(code) && this.state !== 'joining';
    if (!canResume) {
      this._fail(new Error(reason || `socket closed (${code})`), code, reason);
      return;
    }
    if (this.state !== 'reconnecting') {
      this.state = 'reconnecting';
      this._reconnectStart = Date.now();
      this._attempt = 0;
      this._teardownSession();
    }
    // Best effort: keep trying a little past the room's grace period (after
    // it the room gives a new id, which still beats a dead page).
    if (Date.now() - this._reconnectStart > 2 * RESUME_WINDOW_MS) {
      this._fail(new Error('could not reconnect'), code, reason);
      return;
    }
    this._attempt += 1;
    this._emit('reconnecting', { attempt: this._attempt, code, reason });
    const delay = Math.min(2000, 250 * 2 ** (this._attempt - 1));
    setTimeout(() => {
      if (this.state === 'reconnecting') this._connect(true);
    }, delay);
  }

  _fail(err, code = 1006, reason = '') {
    if (this._joinWaiter) {
      this._joinWaiter.reject(err);
      this._joinWaiter = null;
    }
    this._shutdown(code, reason || err.message);
  }

  _shutdown(code, reason) {
    if (this.state === 'closed') return;
    this.state = 'closed';
    clearInterval(this._keepalive);
    this._keepalive = null;
    this._outbox.drop();
    if (this._ws) {
      const ws = this._ws;
      this._ws = null;
      if (!this._leaving) try { ws.close(1000); } catch (e) { /* closing */ }
    }
    this._teardownSession();
    for (const pub of this._pubs) {
      for (const w of pub.waiters) w.reject(new Error('left the room'));
      pub.waiters = [];
    }
    this._data.wakeAll();
    this._emit('closed', { code, reason });
  }

  // Drops the peer connection and everything that came with it.
  _teardownSession() {
    for (const entry of this._remote.values()) this._emit('trackended', this._entryDetail(entry));
    this._remote.clear();
    this._data.closeAll();
    if (this.pc) this.pc.close();
    this.pc = null;
    this._own.clear();
    this._trackMap = {};
    this._pendingCandidates = [];
    // The old session's candidates and descriptions mean nothing to a new
    // one; chat not sent yet still goes (after the resume).
    this._outbox.drop((m) => m.type === 'chat');
    this._firstDone = false;
    this._makingOffer = false;
    this._offerWanted = false;
    this._chain = Promise.resolve();
    for (const pub of this._pubs) {
      pub.transceiver = null;
      pub.mid = null;
      pub.announced = false;
    }
  }

  // Sends @msg, at most 80 % of the room's message rate (averaged over 2 s).
  _send(msg) {
    if (globalThis.ROOM_DEBUG) console.debug('room >', JSON.stringify(msg));
    this._outbox.push(msg);
  }

  // ---- the room's messages ----

  async _onMessage(msg) {
    if (this._audio.handle(msg, this.id)) return;
    switch (msg.type) {
      case 'welcome': return this._onWelcome(msg);
      case 'description': return this._onDescription(msg);
      case 'candidate': return this._onCandidate(msg);
      case 'joined': {
        const p = this._addParticipant(msg.participant);
        if (p) {
          this._gone.delete(p.id);
          this._emit('joined', { participant: { ...p } });
          this._emit('roster', { roster: this.roster });
        }
        return;
      }
      case 'left': {
        this._participants.delete(msg.id);
        this._audio.left(msg.id);
        this._gone.add(msg.id);
        for (const entry of [...this._remote.values()]) {
          if (entry.participant === msg.id) this._dropRemote(entry);
        }
        this._emit('left', { id: msg.id, reason: msg.reason });
        this._emit('roster', { roster: this.roster });
        return;
      }
      case 'track': {
        const p = this._participants.get(msg.participant);
        const t = msg.track || {};
        if (p) {
          p.tracks = p.tracks.filter((x) => x.id !== t.id);
          if (msg.action === 'published') p.tracks.push({ ...t });
        }
        // A track can come before its label: the room offers it as soon as
        // media arrives, maybe before the publisher's own "publish" message.
        if (msg.action === 'published') {
          for (const entry of this._remote.values()) {
            if (entry.participant !== msg.participant || entry.trackId !== t.id || entry.label || !t.label) continue;
            entry.label = String(t.label);
            this._emit('tracklabel', { mid: entry.mid, participant: entry.participant, trackId: entry.trackId, label: entry.label });
          }
        }
        this._emit(msg.action === 'published' ? 'published' : 'unpublished', { participant: msg.participant, track: t });
        this._emit('roster', { roster: this.roster });
        return;
      }
      case 'mute': {
        const p = this._participants.get(msg.participant);
        const t = p && p.tracks.find((x) => x.id === msg.track);
        if (t) t.muted = !!msg.muted;
        for (const entry of this._remote.values()) {
          if (entry.participant === msg.participant && entry.trackId === msg.track) entry.muted = !!msg.muted;
        }
        this._emit('mute', { participant: msg.participant, track: msg.track, muted: !!msg.muted });
        this._emit('roster', { roster: this.roster });
        return;
      }
      case 'chat':
        // Said while we were away, sent again on our resume: the part we had
        // already comes again when the socket dropped after it came.
        if (Number.isInteger(msg.seq)) {
          if (msg.seq <= this._chatSeq) return;
          this._chatSeq = msg.seq;
        }
        this._emit('chat', { from: msg.from, name: msg.name, text: msg.text, seq: msg.seq, ts: msg.ts, self: msg.from === this.id });
        return;
      case 'ping':
        this._send({ type: 'pong', ts: msg.ts });
        return;
      case 'pong':
        if (typeof msg.ts === 'number') this.signallingRtt = Date.now() - msg.ts;
        return;
      case 'error': return this._onError(msg);
      default:
        return; // a newer room's message: ignore
    }
  }

  _addParticipant(p) {
    if (!p || typeof p.id !== 'string') return null;
    const entry = { id: p.id, name: String(p.name || ''), pipeline: !!p.pipeline,
      tracks: Array.isArray(p.tracks) ? p.tracks.map((t) => ({ ...t })) : [] };
    if (p.id === this.id) return null; // ourselves: the roster getter adds us
    this._participants.set(p.id, entry);
    return entry;
  }

  _onWelcome(msg) {
    const resumed = this.state === 'reconnecting';
    const sameId = resumed && msg.id === this.id;
    if (resumed && !sameId) this._participants.clear();
    // A new id (a room that restarted counts chat from 1 again): no replay
    // comes, and every seq is new.
    if (!sameId) this._chatSeq = 0;
    this.welcome = msg;
    this.id = msg.id;
    this.secret = msg.secret;
    this.roomName = msg.room || this.roomName;
    if (msg.limits) this.limits = { ...this.limits, ...msg.limits };
    this.dataLabels = Array.isArray(msg.data) ? msg.data : [];
    this._participants.clear();
    this._gone.clear();
    for (const p of msg.roster || []) this._addParticipant(p);
    this._audio.restore(new Set(this._participants.keys()));
    this.state = 'joined';
    this._lastHeard = Date.now();
    clearInterval(this._keepalive);
    this._keepalive = setInterval(() => this._tick(), KEEPALIVE_MS);
    this._lastTick = Date.now();
    this._newPeerConnection(msg.ice_servers);
    if (resumed) this._emit('resumed', { id: msg.id, sameId });
    this._emit('welcome', msg);
    this._emit('roster', { roster: this.roster });
    if (this._joinWaiter) {
      this._joinWaiter.resolve(msg);
      this._joinWaiter = null;
    }
    this._outbox.flush();
  }

  _tick() {
    if (this.state !== 'joined') return;
    // A tick that comes late says this page was frozen (a busy or
    // suspended machine): what the room sent meanwhile may still wait to be
    // read. Silence is judged on the next tick.
    const now = Date.now();
    const late = this._lastTick && now - this._lastTick > 2 * KEEPALIVE_MS;
    this._lastTick = now;
    if (!late && now - this._lastHeard > SILENCE_MS && this._ws) {
      // The room went quiet: treat it as a dropped socket.
      const ws = this._ws;
      this._ws = null;
      try { ws.close(); } catch (e) { /* closing */ }
      this._onSocketClosed(4010, 'silence');
      return;
    }
    this._send({ type: 'ping', ts: Date.now() });
  }

  _onError(msg) {
    const code = msg.code;
    if (code === 'glare') {
      // The room ignored our offer (its own was outstanding): offer again
      // once its offer is answered.
      this._offerWanted = true;
      this._maybeOffer();
      return;
    }
    this._emit('error', { code, message: msg.message, ref: msg.ref });
    if (this.state === 'joining' && ['unauthorized', 'full', 'version'].includes(code)) {
      this._fail(new Error(msg.message || code), code === 'full' ? 4003 : code === 'version' ? 4000 : 4001, code);
    }
  }

  // ---- the peer connection ----

  _newPeerConnection(iceServers) {
    if (this.pc) this._teardownSession();
    const servers = this.iceServersOverride || (iceServers || []).map((s) => {
      const o = { urls: s.urls };
      if (s.username) o.username = s.username;
      if (s.credential) o.credential = s.credential;
      return o;
    });
    const pc = new RTCPeerConnection({ iceServers: servers, bundlePolicy: 'max-bundle' });
    this.pc = pc;
    pc.onicecandidate = (e) => {
      if (this.pc !== pc) return;
      const c = e.candidate;
      this._send({ type: 'candidate', candidate: c ? { candidate: c.candidate, sdpMid: c.sdpMid, sdpMLineIndex: c.sdpMLineIndex } : null });
    };
    pc.onnegotiationneeded = () => {
      if (this.pc !== pc) return;
      this._offerWanted = true;
      this._maybeOffer();
    };
    pc.ondatachannel = (e) => this._data.add(e.channel);
    // The room opens its channels in-band (ondatachannel); one announced
    // as pre-negotiated ({negotiated: true, id}) is ours to create.
    for (const d of this.dataLabels) {
      if (!d || d.negotiated !== true || typeof d.id !== 'number' || typeof d.label !== 'string') continue;
      const init = { negotiated: true, id: d.id };
      for (const k of ['ordered', 'maxPacketLifeTime', 'maxRetransmits', 'protocol']) if (k in d) init[k] = d[k];
      try {
        this._data.add(pc.createDataChannel(d.label, init));
      } catch (e) {
        this._emit('error', { code: 'client', message: `data channel ${d.label}: ${e.message}` });
      }
    }
    pc.onconnectionstatechange = () => {
      if (this.pc === pc) this._emit('connectionstate', { state: pc.connectionState });
    };
  }

  async _onDescription(msg) {
    const pc = this.pc;
    if (!pc || !msg.sdp) return;
    if (msg.tracks && typeof msg.tracks === 'object') this._trackMap = msg.tracks;
    const desc = msg.sdp;
    if (desc.type === 'offer') {
      // Polite: the room's offer wins; ours (if any) is rolled back
      // implicitly and made again once stable.
      if (this._makingOffer || pc.signalingState !== 'stable') this._offerWanted = true;
      await pc.setRemoteDescription(desc);
      if (this.pc !== pc) return;
      const first = !this._firstDone;
      if (first) this._claimReceivingLines(desc.sdp);
      if (!this.receiveMedia) {
        for (const t of pc.getTransceivers()) {
          if (!this._own.has(t) && !t.stopped && t.direction !== 'inactive') t.direction = 'inactive';
        }
      }
      await this._flushCandidates();
      await pc.setLocalDescription(await pc.createAnswer());
      if (this.pc !== pc) return;
      this._send({ type: 'description', sdp: { type: pc.localDescription.type, sdp: pc.localDescription.sdp } });
    } else if (desc.type === 'answer') {
      if (pc.signalingState !== 'have-local-offer') return; // an answer to an offer we rolled back
      await pc.setRemoteDescription(desc);
      if (this.pc !== pc) return;
      await this._flushCandidates();
    }
    this._reconcileTracks();
    if (pc.signalingState === 'stable') this._onStable();
  }

  // The room's first offer: its receiving m-lines (one video, one audio) are
  // ours to send the camera and microphone on.
  _claimReceivingLines(sdp) {
    const pc = this.pc;
    const byMid = new Map(pc.getTransceivers().filter((t) => t.mid).map((t) => [t.mid, t]));
    for (const s of sdpSections(sdp)) {
      if (s.direction !== 'recvonly' || !s.used || (s.kind !== 'video' && s.kind !== 'audio')) continue;
      const t = byMid.get(s.mid);
      if (!t) continue;
      this._own.add(t);
      const pub = this._pickPending(s.kind, s.kind === 'video' ? 'camera' : 'microphone');
      if (pub) this._attach(pub, t);
    }
  }

  _pickPending(kind, preferred) {
    const pending = this._pubs.filter((p) => !p.transceiver && p.kind === kind);
    return pending.find((p) => p.label === preferred) || pending[0] || null;
  }

  _attach(pub, t) {
    pub.transceiver = t;
    t.sender.replaceTrack(pub.track).catch(() => {});
    if (t.sender.setStreams) {
      try { t.sender.setStreams(pub.stream); } catch (e) { /* older browsers */ }
    }
    t.direction = 'sendonly';
  }

  // After the first exchange: a free transceiver of ours that never carried
  // a track (never one that went inactive: see unpublish), or a new one.
  _attachLater(pub) {
    const pc = this.pc;
    const mapped = new Set(Object.keys(this._trackMap));
    const busy = new Set(this._pubs.map((p) => p.transceiver).filter(Boolean));
    const free = pc.getTransceivers().find((t) => this._own.has(t) && !t.stopped && !busy.has(t)
      && !this._retired.has(t) && t.receiver.track.kind === pub.kind && !(t.mid && mapped.has(t.mid)));
    if (free) {
      this._attach(pub, free);
    } else {
      const t = pc.addTransceiver(pub.track, { direction: 'sendonly', streams: [pub.stream] });
      this._own.add(t);
      pub.transceiver = t;
    }
    // negotiationneeded follows
  }

  _maybeOffer() {
    const pc = this.pc;
    if (!pc || !this._offerWanted || !this._firstDone || this._makingOffer) return;
    if (pc.signalingState !== 'stable' || this.state !== 'joined') return;
    this._offerWanted = false;
    this._makingOffer = true;
    (async () => {
      try {
        await pc.setLocalDescription(await pc.createOffer());
        // A room offer that came meanwhile rolled it back: nothing to send.
        if (this.pc === pc && pc.signalingState === 'have-local-offer') {
          this._send({ type: 'description', sdp: { type: 'offer', sdp: pc.localDescription.sdp } });
        }
      } catch (e) {
        if (this.pc === pc) this._offerWanted = true;
      } finally {
        this._makingOffer = false;
      }
    })();
  }

  _onStable() {
    if (!this._firstDone) {
      this._firstDone = true;
      // What did not fit on the first offer's lines gets transceivers now.
      for (const pub of this._pubs) if (!pub.transceiver) this._attachLater(pub);
    }
    this._announce();
    this._maybeOffer();
  }

  // `track publish` for every publication whose m-line is negotiated.
  _announce() {
    for (const pub of this._pubs) {
      const t = pub.transceiver;
      if (!t || pub.announced || !t.mid) continue;
      if (t.currentDirection !== 'sendonly' && t.currentDirection !== 'sendrecv') continue;
      pub.mid = t.mid;
      pub.announced = true;
      this._send({ type: 'track', action: 'publish', mid: pub.mid, kind: pub.kind, label: pub.label });
      if (pub.muted) this._send({ type: 'mute', mid: pub.mid, muted: true });
      for (const w of pub.waiters) w.resolve(pub.mid);
      pub.waiters = [];
    }
  }

  async _onCandidate(msg) {
    const pc = this.pc;
    if (!pc || !msg.candidate || !msg.candidate.candidate) return; // null: end of candidates
    if (!pc.remoteDescription) {
      this._pendingCandidates.push(msg.candidate);
      return;
    }
    try {
      await pc.addIceCandidate(msg.candidate);
    } catch (e) { /* for an m-line we rolled back: harmless */ }
  }

  async _flushCandidates() {
    const list = this._pendingCandidates;
    this._pendingCandidates = [];
    for (const c of list) {
      try {
        await this.pc.addIceCandidate(c);
      } catch (e) { /* see _onCandidate */ }
    }
  }

  // Which remote track each mid carries now, from description.tracks and
  // the room's direction on that m-line; emits track / trackended.
  _reconcileTracks() {
    const pc = this.pc;
    if (!pc || !pc.remoteDescription) return;
    const sending = new Set();
    if (this.receiveMedia) {
      for (const s of sdpSections(pc.remoteDescription.sdp)) {
        if (s.used && (s.direction === 'sendonly' || s.direction === 'sendrecv')) sending.add(s.mid);
      }
    }
    const want = new Map();
    for (const t of pc.getTransceivers()) {
      const info = t.mid && this._trackMap[t.mid];
      if (!info || t.stopped || !sending.has(t.mid) || this._gone.has(info.participant)) continue;
      if (t.direction === 'inactive' || t.direction === 'sendonly') continue;
      want.set(t.mid, { info, t });
    }
    for (const entry of [...this._remote.values()]) {
      const w = want.get(entry.mid);
      if (!w || w.info.participant !== entry.participant || w.info.track !== entry.trackId) this._dropRemote(entry);
    }
    for (const [mid, { info, t }] of want) {
      if (this._remote.has(mid)) continue;
      const p = this._participants.get(info.participant);
      const known = p && p.tracks.find((x) => x.id === info.track);
      const track = t.receiver.track;
      const entry = { mid, participant: info.participant, trackId: info.track, kind: info.kind || track.kind,
        label: info.label || (known && known.label) || '', track, stream: new MediaStream([track]), transceiver: t,
        muted: !!(known && known.muted), lastStats: null };
      this._remote.set(mid, entry);
      this._emit('track', this._entryDetail(entry));
    }
  }

  _dropRemote(entry) {
    this._remote.delete(entry.mid);
    this._emit('trackended', this._entryDetail(entry));
  }

  _entryDetail(e) {
    return { mid: e.mid, participant: e.participant, trackId: e.trackId, kind: e.kind, label: e.label,
      track: e.track, stream: e.stream, muted: e.muted };
  }
}
