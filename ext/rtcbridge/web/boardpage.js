// The collaboration page (/board/<name>): a shared whiteboard on the room's
// logged `board` channel, file sharing on `files`, chat over the WebSocket.
// Every page draws the board from the room's sequence alone (own operations
// sit on an overlay until the room echoes them), so all boards match,
// a late joiner's included. Query: ?name=; #token= (the room's token). The
// page joins only when Join is clicked.
// Tests drive window.roomTest.
import '/static/token.js';
import { RoomClient, sha256Hex, toHex } from '/static/room.js';
import {
  $, errors, initName, joinRoom, roomName, setState, showError, takeName,
} from '/static/roompagekit.js';

const W = 1600;
const H = 900;
const CHUNK = 16 * 1024; // a file chunk message, the 8-byte transfer id included
const MAX_POINTS = 2000; // per stroke operation (a longer stroke becomes several)
const COLOR = /^#[0-9a-fA-F]{6}$/;


const canvas = $('board');
const ctx = canvas.getContext('2d', { willReadFrequently: true });
const overlay = $('overlay');
const octx = overlay.getContext('2d');
for (const c of [ctx, octx]) c.imageSmoothingEnabled = false;

let room = null;
let board = freshBoard();
const pending = new Map(); // own op id -> op, until the room echoes it
let ownGroups = []; // [[op id]]: what one Undo takes back
let opCounter = 0;
let drawing = null; // the operation under the pointer
const chatLog = [];
const incoming = new Map(); // transfer id -> {name, size, type, sha256, from, parts, received, item}
const received = []; // finished incoming transfers
const sent = [];

$('room-name').textContent = roomName;
$('room-link').href = `/room/${encodeURIComponent(roomName)}`;
document.title = `Board ${roomName}`;
initName();

// ---- the board: operations in the room's order ----

function freshBoard() {
  return { log: [], lastSeq: 0, drawn: [] }; // log: since the last clear, as the room keeps it
}

const isInt = (v, lo, hi) => Number.isInteger(v) && v >= lo && v <= hi;

// The drawable form of @msg, or null (then it is logged but not drawn, the
// same on every page).
function drawable(msg) {
  const op = msg.op;
  if (typeof msg.id !== 'string' || msg.id.length > 100) return null;
  if (op === 'text') {
    if (!COLOR.test(msg.color) || !isInt(msg.x, 0, W) || !isInt(msg.y, 0, H) || !isInt(msg.size, 8, 128)
      || typeof msg.text !== 'string' || msg.text.length > 1024) return null;
    return msg;
  }
  if (!COLOR.test(msg.color) || !isInt(msg.width, 1, 64)) return null;
  if (op === 'stroke') {
    const p = msg.points;
    if (!Array.isArray(p) || p.length < 2 || p.length % 2 || p.length > 2 * 20000) return null;
    for (let i = 0; i < p.length; i += 2) if (!isInt(p[i], 0, W) || !isInt(p[i + 1], 0, H)) return null;
    return msg;
  }
  if (op === 'rect' || op === 'ellipse' || op === 'line') {
    if (!isInt(msg.x, 0, W) || !isInt(msg.y, 0, H) || !isInt(msg.w, -W, W) || !isInt(msg.h, -H, H)) return null;
    return msg;
  }
  return null;
}

function drawOp(c, op) {
  c.save();
  c.strokeStyle = op.color;
  c.fillStyle = op.color;
  c.lineWidth = op.width || 1;
  c.lineCap = 'round';
  c.lineJoin = 'round';
  c.beginPath();
  switch (op.op) {
    case 'stroke': {
      const p = op.points;
      if (p.length === 2) { // a dot
        c.arc(p[0], p[1], op.width / 2, 0, 2 * Math.PI);
        c.fill();
        break;
      }
      c.moveTo(p[0], p[1]);
      for (let i = 2; i < p.length; i += 2) c.lineTo(p[i], p[i + 1]);
      c.stroke();
      break;
    }
    case 'rect':
      c.strokeRect(op.x, op.y, op.w, op.h);
      break;
    case 'ellipse':
      c.ellipse(op.x + op.w / 2, op.y + op.h / 2, Math.abs(op.w) / 2, Math.abs(op.h) / 2, 0, 0, 2 * Math.PI);
      c.stroke();
      break;
    case 'line':
      c.moveTo(op.x, op.y);
      c.lineTo(op.x + op.w, op.y + op.h);
      c.stroke();
      break;
    case 'text':
      c.font = `${op.size}px sans-serif`;
      c.textBaseline = 'top';
      c.fillText(op.text, op.x, op.y);
      break;
    default:
      break;
  }
  c.restore();
}

function redraw() {
  ctx.fillStyle = '#ffffff';
  ctx.fillRect(0, 0, W, H);
  for (const d of board.drawn) drawOp(ctx, d.op);
}

function redrawOverlay() {
  octx.clearRect(0, 0, W, H);
  for (const op of pending.values()) { const d = drawable(op); if (d) drawOp(octx, d); }
  if (drawing) { const d = drawable(drawing); if (d) drawOp(octx, d); }
}

function applyEntry(e) {
  if (e.seq === 0) { // the room refused an operation (its log is full)
    showError(`The board is full (${e.msg && e.msg.code}); clear it to draw on.`);
    pending.clear();
    redrawOverlay();
    return;
  }
  if (!Number.isInteger(e.seq) || e.seq <= board.lastSeq || !e.msg || typeof e.msg !== 'object') return;
  board.lastSeq = e.seq;
  const msg = e.msg;
  const entry = { seq: e.seq, from: e.from, msg };
  if (msg.op === 'clear') {
    board.log = [entry];
    board.drawn = [];
    ownGroups = [];
    redraw();
  } else {
    board.log.push(entry);
    if (msg.op === 'undo') {
      const i = board.drawn.findIndex((d) => d.op.id === msg.target && d.from === e.from);
      if (i >= 0) {
        board.drawn.splice(i, 1);
        redraw();
      }
    } else {
      const op = drawable(msg);
      if (op) {
        board.drawn.push({ from: e.from, op });
        drawOp(ctx, op);
      }
    }
  }
  if (room && e.from === room.id && typeof msg.id === 'string' && pending.delete(msg.id)) redrawOverlay();
}

function resetBoard() { // the board channel (re)opened: the room replays its log
  board = freshBoard();
  pending.clear();
  redraw();
  redrawOverlay();
}

function sendOps(ops) {
  if (!room || !room.id) return [];
  const ids = [];
  const sends = [];
  for (const op of ops) {
    op.id = `${room.id}:${++opCounter}`;
    ids.push(op.id);
    pending.set(op.id, op);
    sends.push(room.sendData('board', op).catch((err) => {
      pending.delete(op.id);
      redrawOverlay();
      showError(`Board: ${err.message}`);
    }));
  }
  ownGroups.push(ids);
  redrawOverlay();
  return { ids, sent: Promise.all(sends) };
}

function undo() {
  const group = ownGroups.pop();
  if (!group || !room) return;
  for (const id of group) room.sendData('board', { op: 'undo', target: id }).catch(() => {});
}

function clearBoard() {
  if (room) room.sendData('board', { op: 'clear' }).catch((e) => showError(e.message));
}

// ---- pointer input ----

const style = () => ({ color: $('color').value, width: Math.max(1, Math.min(64, Number($('width').value) | 0)) });
const tool = () => document.querySelector('input[name="tool"]:checked').value;

function boardPoint(e) {
  const r = overlay.getBoundingClientRect();
  const x = Math.round(((e.clientX - r.left) * W) / r.width);
  const y = Math.round(((e.clientY - r.top) * H) / r.height);
  return [Math.max(0, Math.min(W, x)), Math.max(0, Math.min(H, y))];
}

overlay.addEventListener('pointerdown', (e) => {
  if (!room || e.button !== 0) return;
  overlay.setPointerCapture(e.pointerId);
  const [x, y] = boardPoint(e);
  const t = tool();
  if (t === 'text') {
    const text = $('text').value;
    if (!text) { showError('Type the text to place first.'); return; }
    sendOps([{ op: 'text', color: $('color').value, x, y, size: Math.max(8, Math.min(128, Number($('text-size').value) | 0)), text }]);
    return;
  }
  drawing = t === 'pen' ? { op: 'stroke', ...style(), points: [x, y], id: 'drawing' }
    : { op: t, ...style(), x, y, w: 0, h: 0, id: 'drawing' };
  redrawOverlay();
});

overlay.addEventListener('pointermove', (e) => {
  if (!drawing) return;
  const [x, y] = boardPoint(e);
  if (drawing.op === 'stroke') {
    const p = drawing.points;
    if (Math.abs(p[p.length - 2] - x) + Math.abs(p[p.length - 1] - y) < 2) return;
    p.push(x, y);
  } else {
    drawing.w = x - drawing.x;
    drawing.h = y - drawing.y;
  }
  redrawOverlay();
});

function finishDrawing() {
  if (!drawing) return;
  const d = drawing;
  drawing = null;
  delete d.id;
  if (d.op === 'stroke') {
    const ops = [];
    for (let i = 0; i < d.points.length; i += 2 * (MAX_POINTS - 1)) { // chunks share their joining point
      ops.push({ op: 'stroke', color: d.color, width: d.width, points: d.points.slice(i, i + 2 * MAX_POINTS) });
      if (i + 2 * MAX_POINTS >= d.points.length) break;
    }
    sendOps(ops);
  } else if (d.w || d.h) {
    sendOps([d]);
  }
  redrawOverlay();
}

overlay.addEventListener('pointerup', finishDrawing);
overlay.addEventListener('pointercancel', finishDrawing);

// ---- files ----

function fileItem(name, size, direction) {
  const li = document.createElement('li');
  const label = document.createElement('span');
  label.textContent = `${direction === 'out' ? '↑' : '↓'} ${name} (${size} B) `;
  const bar = document.createElement('progress');
  bar.max = Math.max(1, size);
  bar.value = 0;
  const status = document.createElement('span');
  status.className = 'status';
  li.append(label, bar, status);
  $('file-list').prepend(li);
  return { li, bar, status };
}

function randomId() {
  const b = new Uint8Array(8);
  crypto.getRandomValues(b);
  return b;
}

async function sendFile(file) {
  if (!room) throw new Error('not in a room');
  const bytes = new Uint8Array(await file.arrayBuffer());
  const idBytes = randomId();
  const id = toHex(idBytes);
  const item = fileItem(file.name, bytes.length, 'out');
  item.status.textContent = ' hashing';
  const sha256 = await sha256Hex(bytes);
  await room.sendData('files', { op: 'file-start', id, name: file.name, size: bytes.length,
    type: file.type || 'application/octet-stream', sha256 });
  const step = CHUNK - 8;
  const sends = [];
  for (let off = 0; off < bytes.length; off += step) {
    const part = bytes.subarray(off, Math.min(bytes.length, off + step));
    const msg = new Uint8Array(8 + part.length);
    msg.set(idBytes, 0);
    msg.set(part, 8);
    const done = off + part.length;
    // sendData queues in order and waits on back-pressure; keep a bounded window
    sends.push(room.sendData('files', msg).then(() => { item.bar.value = done; }));
    if (sends.length >= 16) await sends.shift();
  }
  await Promise.all(sends);
  await room.sendData('files', { op: 'file-end', id });
  item.bar.value = item.bar.max;
  item.status.textContent = ' sent';
  sent.push({ name: file.name, size: bytes.length, sha256 });
  return sha256;
}

async function onFileMessage(d) {
  if (d.data) { // binary: a chunk
    const bytes = new Uint8Array(d.data);
    if (bytes.length < 8) return;
    const t = incoming.get(toHex(bytes.subarray(0, 8)));
    if (!t) return;
    t.parts.push(bytes.slice(8));
    t.received += bytes.length - 8;
    t.item.bar.value = t.received;
    return;
  }
  const m = d.msg;
  if (!m || typeof m !== 'object' || d.from === (room && room.id)) return;
  if (m.op === 'file-start' && typeof m.id === 'string' && /^[0-9a-f]{16}$/i.test(m.id)) {
    const name = String(m.name || 'file').slice(0, 255);
    const size = Number(m.size) || 0;
    incoming.set(m.id.toLowerCase(), { name, size, type: String(m.type || 'application/octet-stream'),
      sha256: String(m.sha256 || '').toLowerCase(), from: d.from, sender: d.name, parts: [], received: 0,
      item: fileItem(`${name} from ${d.name}`, size, 'in') });
  } else if (m.op === 'file-end' && typeof m.id === 'string') {
    const id = m.id.toLowerCase();
    const t = incoming.get(id);
    if (!t || t.from !== d.from) return;
    incoming.delete(id);
    t.item.status.textContent = ' checking';
    const blob = new Blob(t.parts, { type: t.type });
    const sha256 = await sha256Hex(await blob.arrayBuffer());
    const ok = t.received === t.size && sha256 === t.sha256;
    received.push({ name: t.name, size: t.received, expected: t.size, sha256, ok, from: t.from });
    t.item.li.className = ok ? 'ok' : 'bad';
    t.item.status.textContent = ok ? ' ' : ' damaged (SHA-256 differs) ';
    if (ok) {
      const a = document.createElement('a');
      a.href = URL.createObjectURL(blob);
      a.download = t.name;
      a.textContent = 'save';
      t.item.status.append(a);
    }
  }
}

$('file-input').addEventListener('change', async (e) => {
  for (const f of [...e.target.files]) {
    try {
      await sendFile(f);
    } catch (err) {
      showError(`Sending ${f.name}: ${err.message}`);
    }
  }
  e.target.value = '';
});

// ---- chat and participants ----

function addChat(m) {
  chatLog.push({ seq: m.seq, from: m.from, name: m.name, text: m.text, ts: m.ts });
  const line = document.createElement('div');
  if (m.self) line.className = 'me';
  const time = new Date(m.ts || Date.now()).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
  line.textContent = `${time} ${m.name}: ${m.text}`;
  $('chat-log').append(line);
  $('chat-log').scrollTop = $('chat-log').scrollHeight;
}

function renderRoster() {
  if (!room) return;
  $('participants').replaceChildren(...room.roster.map((p) => {
    const li = document.createElement('li');
    li.textContent = p.name + (p.self ? ' (you)' : '') + (p.pipeline ? ' (pipeline)' : '');
    return li;
  }));
}

// ---- join and leave ----

async function join() {
  showError(null);
  const name = takeName();
  $('join').disabled = true;
  room = new RoomClient({ room: roomName, name, token: window.rtcPageToken() || undefined, receiveMedia: false });
  room.on('roster', renderRoster);
  room.on('chat', addChat);
  room.on('left', (d) => { // their unfinished transfers will not finish
    for (const [id, t] of incoming) {
      if (t.from !== d.id) continue;
      incoming.delete(id);
      t.item.li.className = 'bad';
      t.item.status.textContent = ' the sender left';
    }
  });
  room.on('data', (d) => {
    if (d.label === 'board' && !d.data) applyEntry(d);
    else if (d.label === 'files') onFileMessage(d).catch((e) => showError(e.message));
  });
  room.on('datachannelopen', (d) => {
    if (d.label === 'board') resetBoard();
    if (d.label === 'board') setState('joined');
  });
  room.on('error', (d) => { if (d.code !== 'resume') showError(`${d.code}: ${d.message || ''}`); });
  room.on('reconnecting', () => setState('reconnecting'));
  room.on('closed', (d) => { // 1000 and not 'leave': the room ended our session
    if (d.code !== 1000 || d.reason !== 'leave') showError(`Disconnected: ${d.reason || d.code}`);
    endSession();
  });
  if (!(await joinRoom(room, 'board-ui'))) return;
  setState('connecting');
  renderRoster();
}

function endSession() {
  drawing = null;
  $('board-ui').hidden = true;
  $('join-form').hidden = false;
  $('join').disabled = false;
  $('join').textContent = 'Join again';
  setState('left');
}

$('join-form').addEventListener('submit', (e) => {
  e.preventDefault();
  join();
});
$('undo').addEventListener('click', undo);
$('clear').addEventListener('click', clearBoard);
$('leave').addEventListener('click', () => { if (room) room.leave(); });
$('chat-form').addEventListener('submit', (e) => {
  e.preventDefault();
  const input = $('chat-input');
  if (room && input.value.trim()) room.sendChat(input.value);
  input.value = '';
});
window.addEventListener('pagehide', () => { if (room) room.leave(); });
redraw();

// ---- test hooks ----

function prng(seed) { // mulberry32
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

window.roomTest = {
  async state() {
    return {
      joined: !!room && room.state === 'joined',
      state: room ? room.state : 'new',
      id: room ? room.id : null,
      name: room ? room.name : null,
      roster: room ? room.roster.map((p) => ({ id: p.id, name: p.name, self: p.self })) : [],
      boardOpen: !!room && room.isDataOpen('board'),
      filesOpen: !!room && room.isDataOpen('files'),
      lastSeq: board.lastSeq,
      ops: board.log.length,
      pending: pending.size,
      chat: chatLog.slice(),
      received: received.slice(),
      errors: errors.slice(),
    };
  },
  // SHA-256 of the operations as applied (the room's log since the last
  // clear) and of the board's pixels. Everything is read before the first
  // await: entries that arrive while hashing must not mix two moments.
  async boardHash() {
    const log = JSON.stringify(board.log.map((e) => [e.seq, e.from, e.msg]));
    const image = ctx.getImageData(0, 0, W, H).data;
    // The last entries too, so that a test whose hashes differ can say how.
    const tail = board.log.slice(-2).map((e) => [e.seq, e.from, JSON.stringify(e.msg).slice(0, 300)]);
    const now = { count: board.log.length, lastSeq: board.lastSeq, drawn: board.drawn.length, pending: pending.size, tail };
    return { ops: await sha256Hex(log), pixels: await sha256Hex(image), ...now };
  },
  // Sends @n random operations (strokes, shapes, text), reproducible from @seed.
  async drawRandomStrokes(n, seed = 1) {
    const rnd = prng(seed);
    const int = (lo, hi) => lo + Math.floor(rnd() * (hi - lo + 1));
    const color = () => `#${int(0, 0xffffff).toString(16).padStart(6, '0')}`;
    const all = [];
    for (let i = 0; i < n; i++) {
      const kind = int(0, 9);
      let op;
      if (kind < 6) {
        const points = [int(0, W), int(0, H)];
        for (let k = int(1, 30); k > 0; k--) {
          points.push(Math.max(0, Math.min(W, points[points.length - 2] + int(-40, 40))),
            Math.max(0, Math.min(H, points[points.length - 1] + int(-40, 40))));
        }
        op = { op: 'stroke', color: color(), width: int(1, 24), points };
      } else if (kind < 9) {
        op = { op: ['rect', 'ellipse', 'line'][kind - 6], color: color(), width: int(1, 16), x: int(0, W - 200), y: int(0, H - 200),
          w: int(-100, 200), h: int(-100, 200) };
      } else {
        op = { op: 'text', color: color(), x: int(0, W - 200), y: int(0, H - 60), size: int(8, 64), text: `t${seed}-${i}` };
      }
      const r = sendOps([op]);
      all.push(r.sent);
    }
    await Promise.all(all);
    return n;
  },
  undo: () => undo(),
  clear: () => clearBoard(),
  chat: (text) => { if (room) room.sendChat(text); },
  // Sends a file of @size pseudo-random bytes from @seed; resolves with its SHA-256.
  async sendFile(name, size, seed = 1) {
    const rnd = prng(seed);
    const bytes = new Uint8Array(size);
    for (let i = 0; i < size; i++) bytes[i] = (rnd() * 256) | 0;
    return sendFile(new File([bytes], name, { type: 'application/octet-stream' }));
  },
  receivedFiles: () => received.map((f) => ({ name: f.name, size: f.size, sha256: f.sha256, ok: f.ok })),
  sentFiles: () => sent.slice(),
  join: () => join(),
  leave: () => { if (room) room.leave(); },
  get room() { return room; },
};
