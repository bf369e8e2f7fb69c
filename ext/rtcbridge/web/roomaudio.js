// roomaudio.js: a room's audio as RoomClient (room.js) sees it: who
// speaks and everyone's level (the room's `speaking` and `levels`
// messages: a mixing room measures them, a forwarding one reads the
// browsers' RFC 6464 levels), who the host muted (`audio-muted`), and
// this participant's own volume of each other one (its `volume` message:
// the room applies it to the mix this participant hears). Served at
// /static/roomaudio.js; imports nothing.

export const MAX_VOLUME = 2; // the room protocol's bound (1: as sent)

export class RoomAudio {
  // @emit(type, detail): the client's events; @send(msg): to the room.
  constructor(emit, send) {
    this._emit = emit;
    this._send = send;
    this._speaking = new Map(); // id -> {level}: speaking now
    this._hostMuted = new Set(); // ids the host muted for everyone
    this._levels = new Map(); // id -> level now, dBFS
    this._volumes = new Map(); // id -> this participant's volume of it (not 1)
    this.activeSpeaker = null;
  }

  get speaking() { return [...this._speaking.keys()]; }
  get hostMuted() { return [...this._hostMuted]; }
  get levels() { return Object.fromEntries(this._levels); }
  get volumes() { return Object.fromEntries(this._volumes); }
  volume(id) { return this._volumes.has(id) ? this._volumes.get(id) : 1; }

  // What this participant hears of @id: 0 (silent) .. MAX_VOLUME, 1 as sent.
  setVolume(id, volume) {
    const v = Math.min(MAX_VOLUME, Math.max(0, Number(volume)));
    if (typeof id !== 'string' || Number.isNaN(v)) throw new TypeError('setVolume(id, 0..2)');
    if (v === 1) this._volumes.delete(id);
    else this._volumes.set(id, v);
    this._send({ type: 'volume', participant: id, volume: v });
    this._emit('volume', { participant: id, volume: v });
  }

  // A new session (a welcome): the room knows none of our volumes; tell it
  // those of participants still there.
  restore(ids) {
    for (const [id, v] of [...this._volumes]) {
      if (ids.has(id)) this._send({ type: 'volume', participant: id, volume: v });
      else this._volumes.delete(id);
    }
  }

  left(id) { this._volumes.delete(id); }

  // The room's audio messages; false for any other.
  handle(msg, selfId) {
    switch (msg.type) {
      case 'speaking': {
        // Who speaks (the room measures it on what it mixes).
        if (typeof msg.participant !== 'string') return true;
        if (msg.speaking) this._speaking.set(msg.participant, { level: Number(msg.level) || 0 });
        else this._speaking.delete(msg.participant);
        if (msg.active) this.activeSpeaker = msg.participant;
        this._emit('speaking', { participant: msg.participant, speaking: !!msg.speaking,
          level: Number(msg.level) || 0, active: !!msg.active, activeSpeaker: this.activeSpeaker });
        return true;
      }
      case 'audio-muted': {
        // The host muted a participant for everyone, or lets it be heard.
        if (typeof msg.participant !== 'string') return true;
        if (msg.muted) this._hostMuted.add(msg.participant);
        else this._hostMuted.delete(msg.participant);
        this._emit('host-mute', { participant: msg.participant, muted: !!msg.muted, self: msg.participant === selfId });
        return true;
      }
      case 'levels': {
        // Everyone's level now (a few times a second, on change).
        if (!msg.levels || typeof msg.levels !== 'object') return true;
        this._levels = new Map(Object.entries(msg.levels).filter(([, v]) => typeof v === 'number'));
        this._emit('levels', { levels: this.levels });
        return true;
      }
      default:
        return false;
    }
  }
}
