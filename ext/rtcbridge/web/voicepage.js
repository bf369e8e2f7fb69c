// The voice page (/voice/<name>): audio only, in the same room as
// /room/<name>. The microphone goes to the room; what comes back (with
// webrtcroom audio-mode=mix, one stream: everyone else mixed) is played.
// Participants are listed with who speaks now (the room's "speaking"
// messages), a level meter each ("levels") and who the host muted
// ("audio-muted") and a volume slider for each other one (what you hear
// of them: the room mixes it at your volume); mute, push-to-talk (hold the
// space bar), connection quality.
// Query: ?name= (display name); #token= (the room's token). The page joins,
// and starts the microphone, only when Join is clicked.
// Tests drive window.roomTest.
import '/static/token.js';
import { RoomClient } from '/static/room.js';
import { audioPower } from '/static/audiotest.js';
import {
  $, errors, initName, joinRoom, roomName, setState, showError, takeName,
} from '/static/roompagekit.js';

let room = null;
let mic = null;
let muted = false;
let talking = false; // the space bar is held (push to talk)
let statsTimer = null;
let quality = '';
const players = new Map(); // remote mid -> {el: audio element, participant}

$('room-name').textContent = roomName;
$('room-link').href = `/room/${encodeURIComponent(roomName)}`;
document.title = `Voice ${roomName}`;
initName();

// The microphone is sent while not muted and, in push-to-talk, while the
// space bar is held.
function applyMute() {
  const off = muted || ($('ptt').checked && !talking);
  if (mic && room) room.setMuted(mic, off);
  $('mute').textContent = muted ? 'Unmute' : 'Mute';
  render();
}

// One list item per participant, kept while it stays (a slider being
// dragged must survive the level updates, several a second).
const items = new Map(); // id -> {li, label, meter, volume}

function item(p) {
  let it = items.get(p.id);
  if (it) return it;
  const li = document.createElement('li');
  li.dataset.id = p.id;
  const label = document.createElement('span');
  // Its level: a meter from -60 dBFS (silence) to 0.
  const meter = document.createElement('meter');
  meter.min = -60;
  meter.max = 0;
  li.append(label, ' ', meter);
  it = { li, label, meter, volume: null };
  if (!p.self) {
    // What you hear of them: 0 .. 200 % (the room mixes it so; a
    // forwarding room's tracks are played here at up to 100 %).
    const volume = document.createElement('input');
    volume.type = 'range';
    volume.min = '0';
    volume.max = '200';
    volume.step = '5';
    volume.value = '100';
    volume.className = 'volume';
    volume.title = `volume of ${p.name}`;
    volume.setAttribute('aria-label', `volume of ${p.name}`);
    volume.addEventListener('input', () => setVolume(p.id, Number(volume.value) / 100));
    li.append(' ', volume);
    it.volume = volume;
  }
  items.set(p.id, it);
  return it;
}

function render() {
  const ul = $('people');
  if (!room) {
    ul.textContent = '';
    items.clear();
    return;
  }
  const speaking = new Set(room.speaking);
  const hostMuted = new Set(room.hostMuted);
  const levels = room.levels;
  const roster = room.roster;
  const ids = new Set(roster.map((p) => p.id));
  for (const [id, it] of items) {
    if (!ids.has(id)) { it.li.remove(); items.delete(id); }
  }
  for (const p of roster) {
    const it = item(p);
    const mutedNow = p.tracks.some((t) => t.kind === 'audio' && t.muted);
    it.li.className = [speaking.has(p.id) ? 'speaking' : '', p.id === room.activeSpeaker ? 'active-speaker' : '']
      .filter(Boolean).join(' ');
    const muted = hostMuted.has(p.id) ? ' · muted by the host' : mutedNow ? ' · muted' : '';
    it.label.textContent = `${p.name}${p.self ? ' (you)' : ''}${muted}`;
    it.meter.value = Math.max(-60, levels[p.id] ?? -127);
    it.meter.dataset.level = String(levels[p.id] ?? -127);
    it.meter.title = `${levels[p.id] ?? '-∞'} dBFS`;
    ul.append(it.li); // in roster order
  }
}

// What you hear of @id: the room's mix (audio-mode=mix) and this page's
// own player of its track (forwarding).
function setVolume(id, volume) {
  room.setVolume(id, volume);
  for (const pl of players.values()) {
    if (pl.participant === id) pl.el.volume = Math.min(1, volume);
  }
}

function play(detail) {
  if (detail.kind !== 'audio') return;
  const el = new Audio();
  el.srcObject = detail.stream;
  el.autoplay = true;
  el.play().catch(() => { $('audio-unlock').hidden = false; });
  el.volume = Math.min(1, room.volumes[detail.participant] ?? 1);
  players.set(detail.mid, { el, participant: detail.participant });
}

function stopPlaying(detail) {
  const pl = players.get(detail.mid);
  if (!pl) return;
  pl.el.srcObject = null;
  players.delete(detail.mid);
}

async function join() {
  showError(null);
  const name = takeName();
  $('join').disabled = true;
  setState('getting microphone');
  try {
    mic = (await navigator.mediaDevices.getUserMedia({ audio: true })).getAudioTracks()[0] || null;
  } catch (e) {
    showError(`No microphone (${e.message}): joining to listen only`);
  }
  room = new RoomClient({ room: roomName, name, token: window.rtcPageToken() || undefined });
  room.on('roster', render);
  room.on('speaking', render);
  room.on('host-mute', render);
  room.on('levels', render);
  room.on('mute', render);
  room.on('track', play);
  room.on('trackended', stopPlaying);
  room.on('error', (d) => { if (d.code !== 'resume') showError(`${d.code}: ${d.message || ''}`); });
  room.on('reconnecting', () => setState('reconnecting'));
  room.on('resumed', () => setState('joined'));
  room.on('connectionstate', (d) => setState(d.state === 'connected' ? 'joined' : d.state));
  room.on('closed', (d) => {
    if (d.code !== 1000) showError(`Disconnected: ${d.reason || d.code}`);
    endSession();
  });
  if (mic) room.publish(mic, 'microphone').catch(() => {});
  if (!(await joinRoom(room, 'call'))) return;
  setState('joined');
  applyMute();
  statsTimer = setInterval(async () => {
    if (!room) return;
    const stats = await room.stats();
    const order = ['stalled', 'poor', 'fair', 'good'];
    quality = stats.map((s) => s.quality).sort((a, b) => order.indexOf(a) - order.indexOf(b))[0] || '';
    $('quality').title = `connection quality: ${quality || 'unknown'}`;
    $('quality').className = `quality ${quality}`;
  }, 2000);
}

function endSession() {
  clearInterval(statsTimer);
  for (const pl of players.values()) pl.el.srcObject = null;
  players.clear();
  $('call').hidden = true;
  $('join-form').hidden = false;
  $('join').disabled = false;
  setState('');
}

function leave() {
  if (room) room.leave();
  room = null;
  if (mic) mic.stop();
  mic = null;
  endSession();
}

$('join-form').addEventListener('submit', (e) => { e.preventDefault(); join(); });
$('leave').addEventListener('click', leave);
$('mute').addEventListener('click', () => { muted = !muted; applyMute(); });
$('ptt').addEventListener('change', applyMute);
$('audio-unlock').addEventListener('click', () => {
  for (const pl of players.values()) pl.el.play().catch(() => {});
  $('audio-unlock').hidden = true;
});
const isSpace = (e) => e.code === 'Space' && !(e.target instanceof HTMLInputElement && e.target.type !== 'checkbox');
window.addEventListener('keydown', (e) => { if (isSpace(e) && !e.repeat) { e.preventDefault(); talking = true; applyMute(); } });
window.addEventListener('keyup', (e) => { if (isSpace(e)) { e.preventDefault(); talking = false; applyMute(); } });
window.addEventListener('pagehide', () => { if (room) room.leave(); });

// ---- test hooks ----

window.roomTest = {
  async state() {
    const stats = room && room.state !== 'closed' ? await room.stats() : [];
    return {
      joined: !!room && room.state === 'joined',
      state: room ? room.state : 'new',
      id: room ? room.id : null,
      roster: room ? room.roster.map((p) => ({ id: p.id, name: p.name, self: p.self,
        tracks: p.tracks.map((t) => ({ id: t.id, kind: t.kind, muted: !!t.muted })) })) : [],
      remoteTracks: stats,
      speaking: room ? room.speaking : [],
      activeSpeaker: room ? room.activeSpeaker : null,
      listedSpeaking: [...document.querySelectorAll('#people li.speaking')].map((li) => li.dataset.id),
      hostMuted: room ? room.hostMuted : [],
      levels: room ? room.levels : {},
      listedLevels: Object.fromEntries([...document.querySelectorAll('#people li')]
        .map((li) => [li.dataset.id, Number(li.querySelector('meter')?.dataset.level ?? NaN)])),
      volumes: room ? room.volumes : {},
      listedVolumes: Object.fromEntries([...document.querySelectorAll('#people li')]
        .filter((li) => li.querySelector('input.volume'))
        .map((li) => [li.dataset.id, Number(li.querySelector('input.volume').value) / 100])),
      listedHostMuted: [...document.querySelectorAll('#people li')]
        .filter((li) => li.textContent.includes('muted by the host')).map((li) => li.dataset.id),
      micSent: !!mic && mic.enabled !== false && !(muted || ($('ptt').checked && !talking)),
      quality,
      errors: errors.slice(),
    };
  },
  join: () => join(),
  leave: () => leave(),
  setMuted: (m) => { muted = !!m; applyMute(); },
  setPushToTalk: (on) => { $('ptt').checked = !!on; applyMute(); },
  // Moves @id's volume slider as a user would (0..2).
  setVolume: (id, volume) => {
    const input = items.get(id)?.volume;
    if (!input) throw new Error(`no volume slider for ${id}`);
    input.value = String(Math.round(volume * 100));
    input.dispatchEvent(new Event('input'));
  },
  audioPower: (freqs, ms = 1500) => audioPower(room, freqs, ms),
  get room() { return room; },
};
