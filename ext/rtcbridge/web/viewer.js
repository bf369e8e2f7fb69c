// The viewer page: plays one stream over WHEP, shows state and live stats.
// Tests read window.rtcViewer.
'use strict';

const streamName = decodeURIComponent(location.pathname.split('/').filter(Boolean).pop() || 'live');
const token = window.rtcPageToken();
const $ = (id) => document.getElementById(id);
// ?relay=1: only relayed candidates (TURN), to check a TURN setup.
const relayOnly = new URLSearchParams(location.search).get('relay') === '1';

window.rtcViewer = {
  pc: null, state: 'connecting', error: null,
  // ICE restarts the server took (the path broke, the session went on),
  // and restart() for tests: restarts ICE now.
  iceRestarts: 0, restart: () => restartIce('asked'),
  // why each restart was made: 'failed', 'disconnected', 'no media' (5 s
  // without media while connected), 'moved' (no media since the browser
  // moved to another candidate pair), 'asked' (restart())
  restartReasons: [],
  // Data channels (tests read these): the RtcData of the session, what
  // came on each label, files received, errors of the data panels.
  data: null, received: {}, files: [], dataErrors: [], remote: null,
  stats: { width: 0, height: 0, fps: 0, videoKbps: 0, audioKbps: 0, rttMs: null, codec: null,
           framesDecoded: 0, audioBytes: 0, packetsLost: 0,
           quality: 'unknown', // quality.js: good, fair, poor or stalled
           // the selected candidate pair's local side: host, srflx or relay,
           // its protocol and, relayed, how the browser reaches the TURN server
           path: null },
};

let client = null;
let statsTimer = null;
let disconnectedSince = 0;
let last = null;
// Media bytes received so far, and since when they have not grown while
// ICE said connected (0: they grow).
let mediaBytes = 0;
let quietSince = 0;
// The transport's selected candidate pair, and when the browser last moved
// to another one (0: not). Moves count only once media has flowed since
// the last restart (@flowedSinceRestart): the pairs a restart itself brings
// are no sign of a broken path, and a second restart would only cut the
// first one short.
let pairId = null;
let movedAt = 0;
let flowedSinceRestart = false;

function setState(text) {
  window.rtcViewer.state = text;
  $('state').textContent = text;
}

function showError(text) {
  window.rtcViewer.error = text;
  $('error').textContent = text || '';
  $('error').hidden = !text;
}

async function streamInfo() {
  const r = await fetch('/streams.json', { cache: 'no-store' });
  const j = await r.json();
  return j.streams.find((s) => s.name === streamName) || null;
}

function teardown() {
  clearInterval(statsTimer);
  statsTimer = null;
  if (client) client.disconnect();
  client = null;
  mediaBytes = 0;
  quietSince = 0;
  pairId = null;
  movedAt = 0;
  flowedSinceRestart = false;
  last = null;
  disconnectedSince = 0;
  if (window.rtcViewer.pc) window.rtcViewer.pc.close();
  window.rtcViewer.pc = null;
}

// The path broke (ICE failed, disconnected for 5 s, or connected with no
// media for 5 s after media flowed): restart ICE on the same session; a
// server that cannot gets a new session instead. The last case is a
// viewer whose address changed: the browser checks a pair from its new
// address and calls itself connected, but the server's ICE agent keeps
// sending to the old pair (libnice takes no peer-reflexive pair of lower
// priority than the selected one), so only new credentials move the media.
// When the browser has moved to another pair meanwhile, that is known
// sooner: 2 s without media are enough.
async function restartIce(reason) {
  // (one at a time: a rule that fires again while the PATCH is on its way
  // must not be taken for the server's refusal)
  if (!client || client.restarting) return false;
  window.rtcViewer.restartReasons.push(reason);
  movedAt = 0;
  flowedSinceRestart = false;
  quietSince = 0;
  setState('restarting ICE');
  const ok = await client.restartIce();
  if (ok) window.rtcViewer.iceRestarts++;
  else retry(2);
  return ok;
}

function retry(seconds) {
  teardown();
  setTimeout(start, seconds * 1000);
}

async function start() {
  showError(null);
  setState('connecting');
  let info;
  try {
    info = await streamInfo();
  } catch (e) {
    setState('server unreachable');
    return retry(2);
  }
  if (!info) {
    setState(`stream "${streamName}" is not live`);
    return retry(2);
  }
  const pc = new RTCPeerConnection({ bundlePolicy: 'max-bundle', iceTransportPolicy: relayOnly ? 'relay' : 'all' });
  window.rtcViewer.pc = pc;
  for (const kind of info.media) pc.addTransceiver(kind, { direction: 'recvonly' });
  setupData(pc, info.data || []);
  const stream = new MediaStream();
  const video = $('video');
  video.srcObject = stream;
  pc.ontrack = (e) => {
    stream.addTrack(e.track);
    video.play().catch(() => {});
  };
  const onState = () => {
    const s = pc.connectionState;
    setState(`${s} (ICE ${pc.iceConnectionState})`);
    if (s === 'closed') return retry(2);
    if (s === 'failed') return restartIce('failed');
    if (s === 'disconnected') {
      disconnectedSince = disconnectedSince || Date.now();
    } else {
      disconnectedSince = 0;
    }
  };
  pc.onconnectionstatechange = onState;
  pc.oniceconnectionstatechange = onState;
  client = new WhepClient(info.whep || `/whep/${encodeURIComponent(streamName)}`, { token });
  try {
    await client.connect(pc);
  } catch (e) {
    if (e.status === 503) {
      setState('busy, retrying');
      showError(e.message);
      return retry(e.retryAfter || 2);
    }
    showError(`The server refused: ${e.status || ''} ${e.message}`);
    setState('failed');
    return retry(5);
  }
  statsTimer = setInterval(updateStats, 1000);
}

// quality.js is a module; this page's scripts are not.
let judgeQuality = null;
import('/static/quality.js').then((m) => { judgeQuality = m.judgeQuality; }, () => {});

async function updateStats() {
  const pc = window.rtcViewer.pc;
  if (!pc) return;
  if (disconnectedSince && Date.now() - disconnectedSince > 5000) {
    disconnectedSince = 0;
    return restartIce('disconnected');
  }
  const report = await pc.getStats();
  const now = performance.now();
  const s = window.rtcViewer.stats;
  let videoBytes = 0; let audioBytes = 0; let frames = 0; let videoPackets = 0;
  let selected = null;
  report.forEach((r) => {
    if (r.type === 'transport' && r.selectedCandidatePairId) selected = r.selectedCandidatePairId;
    if (r.type === 'inbound-rtp' && r.kind === 'video') {
      s.width = r.frameWidth || 0;
      s.height = r.frameHeight || 0;
      s.framesDecoded = r.framesDecoded || 0;
      s.packetsLost = r.packetsLost || 0;
      videoBytes = r.bytesReceived || 0;
      videoPackets = r.packetsReceived || 0;
      frames = r.framesDecoded || 0;
      if (r.framesPerSecond !== undefined) s.fps = r.framesPerSecond;
      const codec = r.codecId && report.get(r.codecId);
      if (codec) s.codec = codec.mimeType.replace(/^video\//, '');
    } else if (r.type === 'inbound-rtp' && r.kind === 'audio') {
      audioBytes = r.bytesReceived || 0;
    } else if (r.type === 'candidate-pair' && r.nominated && r.state === 'succeeded') {
      if (r.currentRoundTripTime !== undefined) s.rttMs = Math.round(r.currentRoundTripTime * 1000);
      const local = report.get(r.localCandidateId);
      const remote = report.get(r.remoteCandidateId);
      if (local) {
        s.path = { type: local.candidateType, protocol: local.protocol,
                   relayProtocol: local.relayProtocol || null,
                   remoteType: remote ? remote.candidateType : null };
      }
    }
  });
  s.audioBytes = audioBytes;
  if (selected && pairId && selected !== pairId && flowedSinceRestart) movedAt = Date.now();
  if (selected) pairId = selected;
  if (videoBytes + audioBytes > mediaBytes) {
    mediaBytes = videoBytes + audioBytes;
    quietSince = 0;
    flowedSinceRestart = true;
  } else if (mediaBytes > 0 && ['connected', 'completed'].includes(pc.iceConnectionState)) {
    quietSince = quietSince || Date.now();
    const quiet = Date.now() - quietSince;
    // (the poll that sees the move may still count the last packets of
    // the old path: a move up to 15 s old counts)
    if (movedAt && Date.now() - movedAt < 15000 && quiet >= 2000) return restartIce('moved');
    if (quiet > 5000) return restartIce('no media');
  }
  // The indicator (quality.js, as the room's tiles): loss and decoding
  // since the last look, the pair's round trip.
  if (last && judgeQuality) {
    const received = videoPackets - last.packets;
    const lost = Math.max(0, s.packetsLost - last.lost);
    s.quality = judgeQuality({ lossRate: received + lost > 0 ? lost / (received + lost) : 0,
      rtt: s.rttMs != null ? s.rttMs / 1000 : null, stalled: frames === last.frames });
    $('quality').className = `quality ${s.quality}`;
    $('quality').title = `connection quality: ${s.quality}`;
  }
  if (last) {
    const dt = (now - last.t) / 1000;
    s.videoKbps = Math.round(((videoBytes - last.video) * 8) / 1000 / dt);
    s.audioKbps = Math.round(((audioBytes - last.audio) * 8) / 1000 / dt);
    if (!s.fps) s.fps = Math.round((frames - last.frames) / dt);
  }
  last = { t: now, video: videoBytes, audio: audioBytes, frames, packets: videoPackets, lost: s.packetsLost };
  $('resolution').textContent = s.width ? `${s.width}×${s.height}` : '–';
  $('fps').textContent = s.fps ? Math.round(s.fps) : '–';
  $('vbitrate').textContent = `${s.videoKbps} kbit/s`;
  $('abitrate').textContent = `${s.audioKbps} kbit/s`;
  $('rtt').textContent = s.rttMs != null ? `${s.rttMs} ms` : '–';
  $('codec').textContent = s.codec || '–';
  $('frames').textContent = s.framesDecoded;
  $('lost').textContent = s.packetsLost;
  $('path').textContent = !s.path ? '–' : s.path.type === 'relay'
    ? `relayed (TURN over ${s.path.relayProtocol || '?'})` : `${s.path.type} (${s.path.protocol})`;
}

// ---- data channels: chat, files, remote control, other labels ----------

function logLine(box, text, cls) {
  const div = document.createElement('div');
  div.textContent = text;
  if (cls) div.className = cls;
  box.appendChild(div);
  while (box.childNodes.length > 200) box.removeChild(box.firstChild);
  box.scrollTop = box.scrollHeight;
}

function dataError(text) {
  window.rtcViewer.dataErrors.push(text);
  showError(text);
}

function setupData(pc, channels) {
  const v = window.rtcViewer;
  v.received = {};
  const data = new RtcData(pc, channels);
  v.data = data;
  const labels = channels.map((c) => c.label);
  const record = (label, msg) => {
    if (!v.received[label]) v.received[label] = [];
    v.received[label].push(msg);
  };
  // Chat: text both ways.
  $('chat').hidden = !labels.includes('chat');
  data.on('chat', (msg) => {
    const text = typeof msg === 'string' ? msg : `(${msg.byteLength} bytes)`;
    record('chat', text);
    logLine($('chat-log'), text);
  });
  // Files: the FileTransfer protocol, checked by SHA-256.
  $('files').hidden = !labels.includes('file');
  const files = new FileTransfer(data, 'file');
  files.on('progress', (p) => {
    $('file-progress').value = p.size ? p.received / p.size : 1;
    $('file-state').textContent = `receiving ${p.name}: ${p.received} / ${p.size} bytes`;
  });
  files.on('file', (f) => {
    v.files.push({ name: f.name, size: f.size, sha256: f.sha256, ok: f.ok });
    const li = document.createElement('li');
    const a = document.createElement('a');
    a.href = URL.createObjectURL(f.blob);
    a.download = f.name;
    a.textContent = f.name;
    li.appendChild(a);
    li.append(` ${f.size} bytes, `);
    const check = document.createElement('span');
    check.className = f.ok ? 'ok' : 'bad';
    check.textContent = f.ok ? 'SHA-256 checked' : 'SHA-256 MISMATCH';
    li.appendChild(check);
    $('file-list').appendChild(li);
    $('file-state').textContent = '';
  });
  files.on('error', dataError);
  v.fileTransfer = files;
  // Remote control, when the pipeline offers it.
  v.remote = new RemoteControl(data, $('video'));
  // Any other label: a log of its messages.
  data.onState((label, state) => {
    if (label === 'navigation') $('nav-hint').hidden = state !== 'open';
    if (!['chat', 'file', 'navigation'].includes(label) && state === 'open') $('messages').hidden = false;
  });
  for (const label of labels.filter((l) => !['chat', 'file', 'navigation'].includes(l))) {
    data.on(label, (msg) => {
      record(label, typeof msg === 'string' ? msg : msg.byteLength);
      logLine($('message-log'), `${label}: ${typeof msg === 'string' ? msg : `(${msg.byteLength} bytes)`}`);
    });
  }
}

$('chat-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  const text = $('chat-input').value;
  if (!text || !window.rtcViewer.data) return;
  try {
    await window.rtcViewer.data.send('chat', text);
    logLine($('chat-log'), text, 'me');
    $('chat-input').value = '';
  } catch (err) {
    dataError(`Chat: ${err.message}`);
  }
});

$('file-send').addEventListener('click', async () => {
  const file = $('file-input').files[0];
  const v = window.rtcViewer;
  if (!file || !v.fileTransfer) return;
  try {
    $('file-state').textContent = `sending ${file.name}`;
    const sha = await v.fileTransfer.send(file, file.name, (sent, total) => {
      $('file-progress').value = total ? sent / total : 1;
    });
    $('file-state').textContent = `sent ${file.name} (SHA-256 ${sha})`;
  } catch (err) {
    dataError(`File: ${err.message}`);
  }
});

$('name').textContent = streamName;
$('unmute').addEventListener('click', () => {
  const v = $('video');
  v.muted = !v.muted;
  if (!v.muted) v.play().catch(() => {});
  $('unmute').textContent = v.muted ? 'Unmute' : 'Mute';
});
// Free the server's session when the tab closes.
window.addEventListener('pagehide', () => { if (client) client.disconnect(true); });
start();
