// RoomOutbox: the room client's messages on their way to the room's
// WebSocket, at most 80 % of the room's message rate (averaged over 2 s):
// what the rate or a missing socket holds back waits here, in order.
export class RoomOutbox {
  // @limits(): the room's limits (messages_per_second); @socket(): the open
  // WebSocket or null.
  constructor(limits, socket) {
    this._limits = limits;
    this._socket = socket;
    this._queue = []; // messages (objects)
    this._sentTimes = [];
    this._timer = null;
  }

  get length() { return this._queue.length; }

  // Counts a message sent around the queue (join).
  sent() { this._sentTimes.push(Date.now()); }

  push(msg) {
    this._queue.push(msg);
    this.flush();
  }

  // Drops what waits; @keep(msg) true: kept.
  drop(keep = () => false) {
    this._queue = this._queue.filter(keep);
    if (!this._queue.length) {
      clearTimeout(this._timer);
      this._timer = null;
    }
  }

  flush() {
    if (this._timer) return;
    const ws = this._socket();
    if (!ws) return;
    const budget = Math.max(4, Math.floor(0.8 * 2 * (this._limits().messages_per_second || 50)));
    const now = Date.now();
    this._sentTimes = this._sentTimes.filter((t) => now - t < 2000);
    while (this._queue.length && this._sentTimes.length < budget) {
      ws.send(JSON.stringify(this._queue.shift()));
      this._sentTimes.push(now);
    }
    if (this._queue.length) {
      this._timer = setTimeout(() => {
        this._timer = null;
        this.flush();
      }, 2000 - (now - this._sentTimes[0]) + 5);
    }
  }
}
