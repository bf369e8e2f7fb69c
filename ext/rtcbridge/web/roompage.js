// The conference page (/room/<name>): camera, microphone and screen to the
// room, a tile per participant, chat, participants, connection quality.
// Query: ?name= (display name), ?camera=0 / ?mic=0 (join
// without), ?camera=WxH or WxH@fps (the camera's size and rate: default
// 640x360 at 24 fps), ?fakescreen=1 (a canvas instead of getDisplayMedia, for tests),
// #token= (the room's token: a fragment never reaches a server). The page
// joins, and starts the camera and microphone, only when Join is clicked.
// Tests drive window.roomTest.
import '/static/token.js';
import { RoomClient } from '/static/room.js';
import { audioPower } from '/static/audiotest.js';
import {
  $, errors, initName, joinRoom, params, roomName, setState, showError, takeName,
} from '/static/roompagekit.js';

let room = null;
const local = { camera: null, mic: null, screen: null, fakeScreenTimer: null };
const tiles = new Map(); // key -> {el, video, audios: Map(mid -> audio), label, quality, badges}
const placed = new Map(); // remote mid -> tile key
const chatLog = [];
const reconnects = []; // each socket loss: when, why (the state's reconnects)
let statsTimer = null;
let lastStats = [];

$('room-name').textContent = roomName;
$('board-link').href = `/board/${encodeURIComponent(roomName)}`;
document.title = `Room ${roomName}`;
initName();
if (params.get('camera') === '0') $('join-camera').checked = false;
if (params.get('mic') === '0') $('join-mic').checked = false;

function nameOf(id) {
  if (room && id === room.id) return room.name;
  const p = room && room.roster.find((x) => x.id === id);
  // A room that mixes audio sends it as the participant "room".
  return p ? p.name : id === 'room' ? 'Room audio (everyone mixed)' : id;
}

// ---- tiles ----

function ensureTile(key, title, { self = false } = {}) {
  let tile = tiles.get(key);
  if (tile) {
    tile.label.textContent = title;
    return tile;
  }
  const el = document.createElement('div');
  el.className = self ? 'tile self' : 'tile';
  el.dataset.key = key;
  const video = document.createElement('video');
  video.autoplay = true;
  video.playsInline = true;
  video.muted = true; // sound goes through the audio elements
  const bar = document.createElement('div');
  bar.className = 'tile-bar';
  const quality = document.createElement('span');
  quality.className = 'quality';
  quality.title = 'connection quality';
  const label = document.createElement('span');
  label.className = 'tile-name';
  label.textContent = title;
  const badges = document.createElement('span');
  badges.className = 'badges';
  bar.append(quality, label, badges);
  el.append(video, bar);
  $('tiles').append(el);
  tile = { el, video, audios: new Map(), label, quality, badges, videoMid: null };
  tiles.set(key, tile);
  return tile;
}

function removeTile(key) {
  const tile = tiles.get(key);
  if (!tile) return;
  for (const a of tile.audios.values()) a.srcObject = null;
  tile.video.srcObject = null;
  tile.el.remove();
  tiles.delete(key);
}

function playAudio(audio) {
  audio.play().catch(() => { $('audio-unlock').hidden = false; });
}

function onTrack(d) {
  const main = ensureTile(d.participant, nameOf(d.participant));
  if (d.kind === 'audio') {
    const audio = document.createElement('audio');
    audio.autoplay = true;
    audio.srcObject = d.stream;
    main.el.append(audio);
    main.audios.set(d.mid, audio);
    placed.set(d.mid, d.participant);
    playAudio(audio);
    return;
  }
  let key = d.participant;
  if (d.label === 'screen' || main.videoMid) {
    key = `${d.participant}:${d.mid}`;
    ensureTile(key, `${nameOf(d.participant)} (${d.label || 'video'})`).el.classList.add('screen');
  }
  const tile = tiles.get(key);
  tile.video.srcObject = d.stream;
  tile.video.play().catch(() => {});
  tile.videoMid = d.mid;
  placed.set(d.mid, key);
  updateBadges();
}

// A label that came after its track (the room forwards media before the
// publisher's "publish" message arrives): a second video's tile is renamed.
function onTrackLabel(d) {
  const key = placed.get(d.mid);
  const tile = key && key !== d.participant && tiles.get(key);
  if (!tile) return;
  tile.label.textContent = `${nameOf(d.participant)} (${d.label})`;
  tile.el.classList.toggle('screen', d.label === 'screen');
}

function onTrackEnded(d) {
  const key = placed.get(d.mid);
  placed.delete(d.mid);
  const tile = key && tiles.get(key);
  if (!tile) return;
  const audio = tile.audios.get(d.mid);
  if (audio) {
    audio.srcObject = null;
    audio.remove();
    tile.audios.delete(d.mid);
  }
  if (tile.videoMid === d.mid) {
    tile.video.srcObject = null;
    tile.videoMid = null;
    if (key !== d.participant) removeTile(key);
  }
}

function updateBadges() {
  if (!room) return;
  for (const p of room.roster) {
    const tile = tiles.get(p.self ? 'self' : p.id);
    if (!tile) continue;
    const cam = p.tracks.find((t) => t.kind === 'video' && t.label !== 'screen');
    const mic = p.tracks.find((t) => t.kind === 'audio');
    const parts = [];
    if (!mic) parts.push('no mic');
    else if (mic.muted) parts.push('muted');
    if (cam && cam.muted) parts.push('camera off');
    tile.badges.textContent = parts.join(' · ');
  }
}

function renderRoster() {
  if (!room) return;
  const roster = room.roster;
  $('participants').replaceChildren(...roster.map((p) => {
    const li = document.createElement('li');
    li.textContent = p.name + (p.self ? ' (you)' : '') + (p.pipeline ? ' (pipeline)' : '');
    const info = document.createElement('span');
    info.className = 'info';
    info.textContent = p.tracks.length ? ` ${p.tracks.map((t) => t.label + (t.muted ? ' (muted)' : '')).join(', ')}` : '';
    li.append(info);
    return li;
  }));
  const present = new Set(roster.filter((p) => !p.self).map((p) => p.id));
  for (const p of roster) if (!p.self) ensureTile(p.id, p.name);
  for (const key of [...tiles.keys()]) {
    if (key === 'self' || key === 'self:screen') continue;
    const owner = key.split(':')[0];
    if (!present.has(owner)) removeTile(key);
  }
  updateBadges();
}

function renderQuality(list) {
  for (const s of list) {
    const key = placed.get(s.mid);
    const tile = key && tiles.get(key);
    if (!tile) continue;
    if (s.kind === 'audio' && tile.videoMid) continue; // the tile shows its video's quality
    tile.quality.className = `quality ${s.quality}`;
    const loss = (s.lossRate * 100).toFixed(1);
    const rtt = s.rtt === null ? '–' : `${Math.round(s.rtt * 1000)} ms`;
    tile.quality.title = s.kind === 'video'
      ? `${s.quality}: ${s.width}×${s.height} ${Math.round(s.framesPerSecond)} fps, loss ${loss} %, RTT ${rtt}`
      : `${s.quality}: loss ${loss} %, RTT ${rtt}, jitter ${Math.round(s.jitter * 1000)} ms`;
  }
}

// ---- chat ----

function addChat(m) {
  chatLog.push({ seq: m.seq, from: m.from, name: m.name, text: m.text, ts: m.ts, receivedAt: Date.now() });
  const line = document.createElement('div');
  if (m.self) line.className = 'me';
  const time = new Date(m.ts || Date.now()).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
  line.textContent = `${time} ${m.name}: ${m.text}`;
  const log = $('chat-log');
  log.append(line);
  log.scrollTop = log.scrollHeight;
}

function addNotice(text) {
  const line = document.createElement('div');
  line.className = 'notice';
  line.textContent = text;
  $('chat-log').append(line);
}

// ---- local media ----

// ?camera=WxH[@fps], else 640x360 at 24 fps.
function cameraConstraints() {
  const m = /^(\d{2,4})x(\d{2,4})(?:@(\d{1,2}))?$/.exec(params.get('camera') || '');
  const [width, height, rate] = m ? [Number(m[1]), Number(m[2]), Number(m[3] || 24)] : [640, 360, 24];
  return { width: { ideal: width }, height: { ideal: height }, frameRate: { ideal: rate } };
}

async function getMedia(video, audio) {
  const constraints = {
    video: video ? cameraConstraints() : false,
    audio: !!audio,
  };
  try {
    return await navigator.mediaDevices.getUserMedia(constraints);
  } catch (e) {
    if (video && audio) { // one of them may still work alone
      const tracks = [];
      for (const c of [{ video: constraints.video }, { audio: true }]) {
        try {
          tracks.push(...(await navigator.mediaDevices.getUserMedia(c)).getTracks());
        } catch (err) { /* that one is not there */ }
      }
      if (tracks.length) {
        showError('Only part of camera and microphone is available.');
        return new MediaStream(tracks);
      }
    }
    showError(`Camera/microphone: ${e.message || e.name}. You can still watch and chat.`);
    return new MediaStream();
  }
}

function showSelf() {
  const tile = ensureTile('self', `${room ? room.name : 'You'} (you)`, { self: true });
  tile.video.srcObject = local.camera ? new MediaStream([local.camera]) : null;
}

function updateButtons() {
  $('camera').textContent = !local.camera ? 'Start camera' : local.camera.enabled ? 'Camera off' : 'Camera on';
  $('mic').textContent = !local.mic ? 'Start microphone' : local.mic.enabled ? 'Mute' : 'Unmute';
  $('screen').textContent = local.screen ? 'Stop sharing' : 'Share screen';
}

async function toggle(kind) {
  const key = kind === 'video' ? 'camera' : 'mic';
  const track = local[key];
  if (track) {
    room.setMuted(track, track.enabled);
  } else { // joined without it: get it now, a renegotiation follows
    const stream = await getMedia(kind === 'video', kind === 'audio');
    const t = stream.getTracks().find((x) => x.kind === kind);
    if (t) {
      local[key] = t;
      room.publish(t, kind === 'video' ? 'camera' : 'microphone').catch((e) => showError(e.message));
      showSelf();
    }
  }
  updateButtons();
  updateBadges();
}

function fakeScreenTrack() {
  const canvas = document.createElement('canvas');
  canvas.width = 640;
  canvas.height = 360;
  const ctx = canvas.getContext('2d');
  let n = 0;
  const draw = () => {
    n++;
    ctx.fillStyle = '#224';
    ctx.fillRect(0, 0, 640, 360);
    ctx.fillStyle = '#8cf';
    ctx.fillRect((n * 8) % 600, 150, 40, 40);
    ctx.font = '32px sans-serif';
    ctx.fillText(`screen ${n}`, 20, 50);
  };
  draw();
  local.fakeScreenTimer = setInterval(draw, 66);
  return canvas.captureStream(15).getVideoTracks()[0];
}

async function startScreenShare() {
  if (local.screen || !room) return local.screen;
  let track;
  if (params.get('fakescreen') === '1' || !(navigator.mediaDevices && navigator.mediaDevices.getDisplayMedia)) {
    track = fakeScreenTrack();
  } else {
    const stream = await navigator.mediaDevices.getDisplayMedia({ video: true, audio: false });
    track = stream.getVideoTracks()[0];
  }
  local.screen = track;
  track.addEventListener('ended', () => stopScreenShare());
  const tile = ensureTile('self:screen', 'Your screen', { self: true });
  tile.el.classList.add('screen');
  tile.video.srcObject = new MediaStream([track]);
  updateButtons();
  return room.publish(track, 'screen');
}

function stopScreenShare() {
  const track = local.screen;
  if (!track) return;
  local.screen = null;
  clearInterval(local.fakeScreenTimer);
  if (room) room.unpublish(track);
  track.stop();
  removeTile('self:screen');
  updateButtons();
}

// ---- join and leave ----

async function join() {
  showError(null);
  const name = takeName();
  $('join').disabled = true;
  setState('getting camera');
  const stream = await getMedia($('join-camera').checked, $('join-mic').checked);
  local.camera = stream.getVideoTracks()[0] || null;
  local.mic = stream.getAudioTracks()[0] || null;
  room = new RoomClient({ room: roomName, name, token: window.rtcPageToken() || undefined });
  room.on('roster', renderRoster);
  room.on('track', onTrack);
  room.on('trackended', onTrackEnded);
  room.on('tracklabel', onTrackLabel);
  room.on('chat', addChat);
  room.on('joined', (d) => addNotice(`${d.participant.name} joined`));
  room.on('left', (d) => addNotice(`${nameOf(d.id) || d.id} left`));
  room.on('mute', updateBadges);
  room.on('speaking', (d) => {
    const tile = tiles.get(room && d.participant === room.id ? 'self' : d.participant);
    if (tile) tile.el.classList.toggle('speaking', d.speaking);
    for (const [key, t] of tiles) t.el.classList.toggle('active-speaker', key === d.activeSpeaker);
  });
  room.on('error', (d) => { if (d.code !== 'resume') showError(`${d.code}: ${d.message || ''}`); });
  room.on('reconnecting', (d) => {
    reconnects.push({ at: Date.now(), attempt: d.attempt, code: d.code, reason: d.reason });
    setState('reconnecting');
  });
  room.on('resumed', (d) => { setState('joined'); if (!d.sameId) addNotice('rejoined with a new id'); });
  room.on('connectionstate', (d) => setState(d.state === 'connected' ? 'joined' : d.state));
  room.on('closed', (d) => {
    if (d.code !== 1000) showError(`Disconnected: ${d.reason || d.code}`);
    endSession();
  });
  if (local.camera) room.publish(local.camera, 'camera').catch(() => {});
  if (local.mic) room.publish(local.mic, 'microphone').catch(() => {});
  if (!(await joinRoom(room, 'conference'))) return;
  setState('joined');
  showSelf();
  updateButtons();
  renderRoster();
  statsTimer = setInterval(async () => {
    if (!room) return;
    lastStats = await room.stats();
    renderQuality(lastStats);
  }, 2000);
}

function endSession() {
  clearInterval(statsTimer);
  statsTimer = null;
  stopScreenShare();
  for (const t of [local.camera, local.mic]) if (t) t.stop();
  local.camera = null;
  local.mic = null;
  for (const key of [...tiles.keys()]) removeTile(key);
  placed.clear();
  $('conference').hidden = true;
  $('join-form').hidden = false;
  $('join').disabled = false;
  $('join').textContent = 'Join again';
  setState('left');
}

function leave() {
  if (!room) return;
  const r = room;
  r.leave();
  endSession();
}

$('join-form').addEventListener('submit', (e) => {
  e.preventDefault();
  join();
});
$('leave').addEventListener('click', leave);
$('camera').addEventListener('click', () => toggle('video'));
$('mic').addEventListener('click', () => toggle('audio'));
$('screen').addEventListener('click', () => {
  if (local.screen) stopScreenShare();
  else startScreenShare().catch((e) => { showError(`Screen share: ${e.message}`); stopScreenShare(); });
});
$('audio-unlock').addEventListener('click', () => {
  $('audio-unlock').hidden = true;
  for (const tile of tiles.values()) for (const a of tile.audios.values()) playAudio(a);
});
$('chat-form').addEventListener('submit', (e) => {
  e.preventDefault();
  const input = $('chat-input');
  if (room && input.value.trim()) room.sendChat(input.value);
  input.value = '';
});
window.addEventListener('pagehide', () => { if (room) room.leave(); });

// ---- test hooks ----

window.roomTest = {
  async state() {
    const stats = room && room.state !== 'closed' ? await room.stats() : [];
    return {
      joined: !!room && room.state === 'joined',
      state: room ? room.state : 'new',
      id: room ? room.id : null,
      name: room ? room.name : null,
      roster: room ? room.roster.map((p) => ({ id: p.id, name: p.name, self: p.self,
        tracks: p.tracks.map((t) => ({ id: t.id, kind: t.kind, label: t.label, muted: !!t.muted })) })) : [],
      remoteTracks: stats.map((s) => ({ ...s, name: nameOf(s.participant) })),
      local: room ? room.published.map((p) => ({ kind: p.kind, label: p.label, mid: p.mid, announced: p.announced, muted: p.muted })) : [],
      chat: chatLog.slice(),
      reconnects: reconnects.slice(),
      speaking: room ? room.speaking : [],
      activeSpeaker: room ? room.activeSpeaker : null,
      speakingTiles: [...tiles].filter(([, t]) => t.el.classList.contains('speaking')).map(([k]) => k),
      tiles: [...tiles.keys()],
      errors: errors.slice(),
    };
  },
  join: () => join(),
  leave: () => leave(),
  startScreenShare: () => startScreenShare(),
  stopScreenShare: () => stopScreenShare(),
  // Joined without a camera (?camera=0) or microphone: get and publish it now.
  startCamera: () => (local.camera ? null : toggle('video')),
  startMic: () => (local.mic ? null : toggle('audio')),
  setCameraMuted: (muted) => { if (local.camera && room) room.setMuted(local.camera, muted); updateButtons(); },
  setMicMuted: (muted) => { if (local.mic && room) room.setMuted(local.mic, muted); updateButtons(); },
  sendChat: (text) => room && room.sendChat(text),
  // Each remote audio track as this page hears it (audiotest.js).
  audioPower: (freqs, ms = 1500) => audioPower(room, freqs, ms),
  get room() { return room; },
};
