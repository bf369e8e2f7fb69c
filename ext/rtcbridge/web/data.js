// Data channels in the browser, as the pipeline's data pads and signals
// see them: one RTCDataChannel per label (several may exist when both
// sides opened one; sends go on the first open, receives come from all).
//
//   const data = new RtcData(pc, info.data);  // before createOffer
//   data.on('chat', (msg) => ...);              // string or ArrayBuffer
//   await data.send('chat', 'hello');           // waits while over 1 MiB queued
//
// FileTransfer sends and receives files on one label (documented in
// docs/reference.md, "File transfer"):
//   {"type":"file-start","id":N,"name":...,"size":S,"mime":...}   text
//   <4-byte big-endian id N><bytes>                              binary, in order
//   {"type":"file-end","id":N,"sha256":"<hex>"}                   text
// The receiver checks the SHA-256 of what it got against file-end's.
'use strict';

const HIGH_WATER = 1024 * 1024;

class RtcData {
  constructor(pc, channels = []) {
    this.pc = pc;
    this.channels = new Map(); // label -> [RTCDataChannel]
    this.handlers = new Map(); // label -> [fn(message, channel)]
    this.stateHandlers = [];
    for (const c of channels) {
      const { label, ...init } = c;
      this.add(pc.createDataChannel(label, init));
    }
    pc.addEventListener('datachannel', (e) => this.add(e.channel));
  }

  add(dc) {
    dc.binaryType = 'arraybuffer';
    dc.bufferedAmountLowThreshold = HIGH_WATER / 2;
    if (!this.channels.has(dc.label)) this.channels.set(dc.label, []);
    this.channels.get(dc.label).push(dc);
    dc.addEventListener('message', (e) => {
      for (const fn of this.handlers.get(dc.label) || []) fn(e.data, dc);
    });
    const state = () => { for (const fn of this.stateHandlers) fn(dc.label, dc.readyState, dc); };
    dc.addEventListener('open', state);
    dc.addEventListener('close', state);
    if (dc.readyState === 'open') setTimeout(state, 0);
  }

  on(label, fn) {
    if (!this.handlers.has(label)) this.handlers.set(label, []);
    this.handlers.get(label).push(fn);
  }

  onState(fn) { this.stateHandlers.push(fn); }

  // The channel sends on @label go to: the first open one.
  channel(label) {
    return (this.channels.get(label) || []).find((dc) => dc.readyState === 'open') || null;
  }

  isOpen(label) { return this.channel(label) !== null; }

  // The largest message the peer takes (its SDP a=max-message-size).
  maxMessageSize() {
    return (this.pc.sctp && this.pc.sctp.maxMessageSize) || 65536;
  }

  // Sends @message (string, ArrayBuffer or view), waiting while more than
  // 1 MiB is queued. Throws with a clear message when there is no open
  // channel or the message is larger than the peer takes.
  async send(label, message) {
    const dc = this.channel(label);
    if (!dc) throw new Error(`no open data channel "${label}"`);
    const size = typeof message === 'string' ? new TextEncoder().encode(message).length
      : message.byteLength;
    const max = this.maxMessageSize();
    if (size > max) throw new Error(`message of ${size} bytes is larger than the peer's maximum (${max} bytes)`);
    while (dc.bufferedAmount > HIGH_WATER && dc.readyState === 'open') {
      await new Promise((r) => {
        const done = () => { dc.removeEventListener('bufferedamountlow', done); dc.removeEventListener('close', done); r(); };
        dc.addEventListener('bufferedamountlow', done);
        dc.addEventListener('close', done);
      });
    }
    if (dc.readyState !== 'open') throw new Error(`data channel "${label}" closed`);
    dc.send(message);
  }
}

async function sha256Hex(buffer) {
  if (!(crypto && crypto.subtle)) return null; // not a secure context
  const digest = await crypto.subtle.digest('SHA-256', buffer);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
}

class FileTransfer {
  constructor(data, label = 'file') {
    this.data = data;
    this.label = label;
    this.incoming = new Map(); // id -> {name, size, mime, parts, received}
    this.handlers = { progress: [], file: [], error: [] };
    data.on(label, (msg) => this.receive(msg));
  }

  on(what, fn) { this.handlers[what].push(fn); }

  emit(what, arg) { for (const fn of this.handlers[what]) fn(arg); }

  // Sends @blob (a File or Blob) as @name; @progress(sent, total).
  async send(blob, name, progress = () => {}) {
    const id = (Math.random() * 0xffffffff) >>> 0;
    const buffer = await blob.arrayBuffer();
    const sha256 = await sha256Hex(buffer);
    await this.data.send(this.label, JSON.stringify({
      type: 'file-start', id, name, size: buffer.byteLength, mime: blob.type || 'application/octet-stream',
    }));
    const chunk = Math.min(16384, this.data.maxMessageSize()) - 4;
    for (let off = 0; off < buffer.byteLength || off === 0; off += chunk) {
      const part = new Uint8Array(buffer, off, Math.min(chunk, buffer.byteLength - off));
      const msg = new Uint8Array(4 + part.length);
      new DataView(msg.buffer).setUint32(0, id);
      msg.set(part, 4);
      await this.data.send(this.label, msg.buffer);
      progress(off + part.length, buffer.byteLength);
      if (buffer.byteLength === 0) break;
    }
    await this.data.send(this.label, JSON.stringify({ type: 'file-end', id, sha256 }));
    return sha256;
  }

  async receive(msg) {
    if (typeof msg === 'string') {
      let m;
      try {
        m = JSON.parse(msg);
      } catch (e) {
        this.emit('error', `not a file transfer message: ${msg.slice(0, 80)}`);
        return;
      }
      if (m.type === 'file-start') {
        this.incoming.set(m.id, { name: String(m.name), size: m.size, mime: m.mime, parts: [], received: 0 });
      } else if (m.type === 'file-end') {
        const f = this.incoming.get(m.id);
        this.incoming.delete(m.id);
        if (!f) { this.emit('error', `file-end for an unknown transfer ${m.id}`); return; }
        const blob = new Blob(f.parts, { type: f.mime || 'application/octet-stream' });
        const sha256 = await sha256Hex(await blob.arrayBuffer());
        const ok = f.received === f.size && sha256 !== null && sha256 === m.sha256;
        this.emit('file', { name: f.name, size: f.received, expected: f.size, sha256, ok, blob });
      }
      return;
    }
    if (msg.byteLength < 4) { this.emit('error', 'a file chunk without its transfer id'); return; }
    const id = new DataView(msg).getUint32(0);
    const f = this.incoming.get(id);
    if (!f) { this.emit('error', `a chunk of an unknown transfer ${id}`); return; }
    f.parts.push(msg.slice(4));
    f.received += msg.byteLength - 4;
    this.emit('progress', { name: f.name, received: f.received, size: f.size });
  }
}

// Remote control: mouse, keyboard and touch on @video as the JSON events
// of docs/reference.md ("Navigation"), positions as fractions of the
// picture (letterboxing excluded).
class RemoteControl {
  constructor(data, video, label = 'navigation') {
    this.data = data;
    this.video = video;
    this.label = label;
    this.errors = [];
    data.on(label, (msg) => {
      if (typeof msg !== 'string') return;
      try {
        const m = JSON.parse(msg);
        if (m.type === 'error') this.errors.push(m.message);
      } catch (e) { /* not ours */ }
    });
    video.tabIndex = 0;
    const mods = (e) => ['shift', 'control', 'alt', 'meta'].filter((k) => e[`${k === 'control' ? 'ctrl' : k}Key`]);
    const mouse = (type) => (e) => {
      const p = this.position(e.clientX, e.clientY);
      if (!p) return;
      const m = { type, ...p, modifiers: mods(e) };
      if (type !== 'mouse-move') m.button = e.button === 1 ? 2 : e.button === 2 ? 3 : e.button + 1;
      this.send(m);
    };
    video.addEventListener('mousemove', mouse('mouse-move'));
    video.addEventListener('mousedown', (e) => {
      mouse('mouse-button-press')(e);
      video.focus({ preventScroll: true }); // for keys; scrolling would move the picture
    });
    video.addEventListener('mouseup', mouse('mouse-button-release'));
    video.addEventListener('contextmenu', (e) => { if (this.active()) e.preventDefault(); });
    video.addEventListener('wheel', (e) => {
      const p = this.position(e.clientX, e.clientY);
      if (!p || !this.active()) return;
      e.preventDefault();
      this.send({ type: 'mouse-scroll', ...p, dx: Math.sign(e.deltaX), dy: -Math.sign(e.deltaY), modifiers: mods(e) });
    }, { passive: false });
    const key = (type) => (e) => {
      if (!this.active()) return;
      e.preventDefault();
      this.send({ type, key: e.key, modifiers: mods(e) });
    };
    video.addEventListener('keydown', key('key-press'));
    video.addEventListener('keyup', key('key-release'));
    const touch = (type) => (e) => {
      if (!this.active()) return;
      e.preventDefault();
      for (const t of e.changedTouches) {
        const p = this.position(t.clientX, t.clientY);
        if (p) this.send({ type, id: t.identifier, ...p, pressure: t.force || 0.5 });
      }
      this.send({ type: 'touch-frame' });
    };
    video.addEventListener('touchstart', touch('touch-down'), { passive: false });
    video.addEventListener('touchmove', touch('touch-motion'), { passive: false });
    video.addEventListener('touchend', touch('touch-up'), { passive: false });
    video.addEventListener('touchcancel', () => this.send({ type: 'touch-cancel' }));
  }

  active() { return this.data.isOpen(this.label); }

  // Client coordinates -> fractions of the picture, null outside it.
  position(clientX, clientY) {
    const v = this.video;
    const r = v.getBoundingClientRect();
    if (!v.videoWidth || !v.videoHeight || !r.width || !r.height) return null;
    const scale = Math.min(r.width / v.videoWidth, r.height / v.videoHeight);
    const w = v.videoWidth * scale;
    const h = v.videoHeight * scale;
    const x = (clientX - r.left - (r.width - w) / 2) / w;
    const y = (clientY - r.top - (r.height - h) / 2) / h;
    if (x < 0 || x > 1 || y < 0 || y > 1) return null;
    return { x, y };
  }

  send(m) {
    if (this.active()) this.data.send(this.label, JSON.stringify(m)).catch(() => {});
  }
}

window.RtcData = RtcData;
window.FileTransfer = FileTransfer;
window.RemoteControl = RemoteControl;
