// roomchannels.js: a RoomClient's data channels (room.js), served at
// /static/roomchannels.js: one RTCDataChannel per label, its events, and
// sends that wait for the channel to open and keep their call order.

const DATA_HIGH_WATER = 1024 * 1024;
const DATA_LOW_WATER = 256 * 1024;
const MAX_MESSAGE = 64 * 1024; // a data-channel message

export class RoomChannels {
  // @emit(type, detail): the client's events (datachannelopen,
  // datachannelclose, data); @closed(): whether the client left the room.
  constructor(emit, closed) {
    this.channels = new Map(); // label -> RTCDataChannel
    this._waiters = new Map(); // label -> [resolve]
    this._chains = new Map(); // label -> promise (keeps sends in call order)
    this._emit = emit;
    this._closed = closed;
  }

  isOpen(label) {
    const dc = this.channels.get(label);
    return !!dc && dc.readyState === 'open';
  }

  // Sends @message on @label (see RoomClient.sendData); @limit is the
  // connection's SCTP maxMessageSize, if known.
  send(label, message, limit) {
    let payload;
    if (message instanceof ArrayBuffer) payload = message;
    else if (ArrayBuffer.isView(message)) payload = message;
    else if (typeof message === 'string') payload = message;
    else payload = JSON.stringify(message);
    const size = typeof payload === 'string' ? new TextEncoder().encode(payload).length : payload.byteLength;
    const max = Math.min(MAX_MESSAGE, limit || MAX_MESSAGE);
    if (size > max) return Promise.reject(new Error(`message of ${size} bytes is over the limit (${max})`));
    const prev = this._chains.get(label) || Promise.resolve();
    const next = prev.catch(() => {}).then(() => this._sendNow(label, payload));
    this._chains.set(label, next);
    return next;
  }

  async _sendNow(label, payload) {
    for (;;) {
      let dc = this.channels.get(label);
      if (!dc || dc.readyState !== 'open') {
        if (this._closed()) throw new Error('not in the room');
        await new Promise((resolve) => {
          if (!this._waiters.has(label)) this._waiters.set(label, []);
          this._waiters.get(label).push(resolve);
        });
        continue;
      }
      while (dc.bufferedAmount > DATA_HIGH_WATER && dc.readyState === 'open') {
        await new Promise((resolve) => {
          const done = () => {
            dc.removeEventListener('bufferedamountlow', done);
            dc.removeEventListener('close', done);
            resolve();
          };
          dc.addEventListener('bufferedamountlow', done);
          dc.addEventListener('close', done);
        });
      }
      if (dc.readyState !== 'open') continue; // closed meanwhile: wait for the next one
      dc.send(payload);
      return;
    }
  }

  add(dc) {
    dc.binaryType = 'arraybuffer';
    dc.bufferedAmountLowThreshold = DATA_LOW_WATER;
    const label = dc.label;
    this.channels.set(label, dc);
    // `datachannelopen` once per channel and before its first message: a
    // channel handed over already open still gets its open event (it was
    // announced twice), and the room replays a logged label right after
    // opening, so a page that starts afresh on `datachannelopen` (the
    // board) could drop the replay's first messages at the second one.
    let announced = false;
    const opened = () => {
      if (announced || this.channels.get(label) !== dc) return;
      announced = true;
      this._emit('datachannelopen', { label });
      const waiters = this._waiters.get(label) || [];
      this._waiters.delete(label);
      waiters.forEach((r) => r());
    };
    dc.onopen = opened;
    if (dc.readyState === 'open') setTimeout(opened, 0);
    dc.onclose = () => {
      if (this.channels.get(label) === dc) {
        this.channels.delete(label);
        this._emit('datachannelclose', { label });
      }
    };
    dc.onmessage = (e) => {
      if (!announced) opened();
      if (typeof e.data === 'string') {
        let m;
        try {
          m = JSON.parse(e.data);
        } catch (err) {
          return;
        }
        if (!m || typeof m !== 'object') return;
        this._emit('data', { label, seq: m.seq, from: m.from, name: m.name, msg: m.msg });
      } else {
        this._emit('data', { label, data: e.data });
      }
    };
  }

  // The session ended: closes every channel, `datachannelclose` for each.
  closeAll() {
    for (const [label, dc] of this.channels) {
      try { dc.close(); } catch (e) { /* closed */ }
      this._emit('datachannelclose', { label });
    }
    this.channels.clear();
  }

  // The client left: the sends waiting for a channel wake up and fail.
  wakeAll() {
    for (const [, waiters] of this._waiters) waiters.forEach((r) => r());
    this._waiters.clear();
  }
}
