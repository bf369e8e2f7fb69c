// The viewer page: plays one stream over WHEP, shows state and live stats.
// Tests read window.rtcViewer.
'use strict';

const streamName = decodeURIComponent(location.pathname.split('/').filter(Boolean).pop() || 'live');
const token = new URLSearchParams(location.search).get('token');
const $ = (id) => document.getElementById(id);

window.rtcViewer = {
  pc: null, state: 'connecting', error: null,
  stats: { width: 0, height: 0, fps: 0, videoKbps: 0, audioKbps: 0, rttMs: null, codec: null,
           framesDecoded: 0, audioBytes: 0, packetsLost: 0 },
};

let client = null;
let statsTimer = null;
let disconnectedSince = 0;
let last = null;

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
  if (window.rtcViewer.pc) window.rtcViewer.pc.close();
  window.rtcViewer.pc = null;
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
  const pc = new RTCPeerConnection({ bundlePolicy: 'max-bundle' });
  window.rtcViewer.pc = pc;
  for (const kind of info.media) pc.addTransceiver(kind, { direction: 'recvonly' });
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
    if (s === 'failed' || s === 'closed') return retry(2);
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

async function updateStats() {
  const pc = window.rtcViewer.pc;
  if (!pc) return;
  if (disconnectedSince && Date.now() - disconnectedSince > 5000) return retry(2);
  const report = await pc.getStats();
  const now = performance.now();
  const s = window.rtcViewer.stats;
  let videoBytes = 0; let audioBytes = 0; let frames = 0;
  report.forEach((r) => {
    if (r.type === 'inbound-rtp' && r.kind === 'video') {
      s.width = r.frameWidth || 0;
      s.height = r.frameHeight || 0;
      s.framesDecoded = r.framesDecoded || 0;
      s.packetsLost = r.packetsLost || 0;
      videoBytes = r.bytesReceived || 0;
      frames = r.framesDecoded || 0;
      if (r.framesPerSecond !== undefined) s.fps = r.framesPerSecond;
      const codec = r.codecId && report.get(r.codecId);
      if (codec) s.codec = codec.mimeType.replace(/^video\//, '');
    } else if (r.type === 'inbound-rtp' && r.kind === 'audio') {
      audioBytes = r.bytesReceived || 0;
    } else if (r.type === 'candidate-pair' && r.nominated && r.state === 'succeeded'
               && r.currentRoundTripTime !== undefined) {
      s.rttMs = Math.round(r.currentRoundTripTime * 1000);
    }
  });
  s.audioBytes = audioBytes;
  if (last) {
    const dt = (now - last.t) / 1000;
    s.videoKbps = Math.round(((videoBytes - last.video) * 8) / 1000 / dt);
    s.audioKbps = Math.round(((audioBytes - last.audio) * 8) / 1000 / dt);
    if (!s.fps) s.fps = Math.round((frames - last.frames) / dt);
  }
  last = { t: now, video: videoBytes, audio: audioBytes, frames };
  $('resolution').textContent = s.width ? `${s.width}×${s.height}` : '–';
  $('fps').textContent = s.fps ? Math.round(s.fps) : '–';
  $('vbitrate').textContent = `${s.videoKbps} kbit/s`;
  $('abitrate').textContent = `${s.audioKbps} kbit/s`;
  $('rtt').textContent = s.rttMs != null ? `${s.rttMs} ms` : '–';
  $('codec').textContent = s.codec || '–';
  $('frames').textContent = s.framesDecoded;
  $('lost').textContent = s.packetsLost;
}

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
