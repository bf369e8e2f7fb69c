// The publish page: the browser's camera and microphone into the pipeline
// over WHIP, with a preview, the connection state and live stats.
// Tests read window.rtcPublisher.
'use strict';

const streamName = decodeURIComponent(location.pathname.split('/').filter(Boolean).pop() || 'live');
const params = new URLSearchParams(location.search);
const pageToken = window.rtcPageToken(); /* (and out of the address bar at once) */
const $ = (id) => document.getElementById(id);
const endpoint = '/whip/' + encodeURIComponent(streamName);

window.rtcPublisher = {
  pc: null, state: 'idle', error: null, iceRestarts: 0, restart: () => restartIce(),
  // new sessions the page started after its first (a restart the server
  // refused or the page could not send, the server busy)
  reconnects: 0,
  stats: { width: 0, height: 0, fps: 0, videoKbps: 0, audioKbps: 0, rttMs: null, codec: null,
           framesSent: 0, audioBytesSent: 0 },
};

let client = null;
let stream = null;
let statsTimer = null;
let last = null;
let wanted = false;
// Since when the connection has been 'disconnected' (0: it is not).
let disconnectedSince = 0;

function setState(text) {
  window.rtcPublisher.state = text;
  $('state').textContent = text;
}

function showError(text) {
  window.rtcPublisher.error = text;
  $('error').textContent = text || '';
  $('error').hidden = !text;
}

function explain(err) {
  switch (err.status) {
    case 401: return 'The server wants a bearer token: open this page with #token=... at the end of its URL.';
    case 403: return 'This page\'s origin is not allowed by the server (allowed-origins).';
    case 404: return `No ingest stream is named "${streamName}" on this server.`;
    case 409: return 'Someone is already publishing to this stream.';
    case 422: return 'The pipeline cannot receive what this browser sends: ' + err.message;
    case 0: return 'The server did not answer.';
    default: return `The server refused (${err.status}): ${err.message}`;
  }
}

async function teardown() {
  clearInterval(statsTimer);
  statsTimer = null;
  const c = client;
  client = null;
  disconnectedSince = 0;
  if (window.rtcPublisher.pc) window.rtcPublisher.pc.close();
  window.rtcPublisher.pc = null;
  if (c) await c.disconnect();
}

async function start() {
  wanted = true;
  showError(null);
  $('start').disabled = true;
  $('stop').disabled = false;
  setState('starting camera');
  try {
    if (!stream) {
      stream = await navigator.mediaDevices.getUserMedia({
        video: { width: { ideal: 1280 }, height: { ideal: 720 } }, audio: $('audio').checked,
      });
      $('preview').srcObject = stream;
    }
  } catch (e) {
    setState('no camera');
    showError('The camera or microphone is not available: ' + e.message);
    $('start').disabled = false;
    $('stop').disabled = true;
    wanted = false;
    return;
  }
  setState('connecting');
  const pc = new RTCPeerConnection();
  window.rtcPublisher.pc = pc;
  // ?maxBitrate=<bit/s> caps the video (the browser's own congestion control
  // decides below it); ?degradation=maintain-resolution|maintain-framerate|
  // balanced says what the browser gives up first when it must.
  const maxBitrate = Number(params.get('maxBitrate')) || 0;
  const degradation = params.get('degradation');
  for (const track of stream.getTracks()) {
    const enc = track.kind === 'video' && maxBitrate ? [{ maxBitrate }] : undefined;
    const t = pc.addTransceiver(track, { direction: 'sendonly', sendEncodings: enc });
    if (track.kind === 'video' && degradation) {
      const p = t.sender.getParameters();
      p.degradationPreference = degradation;
      t.sender.setParameters(p).catch((e) => console.warn('degradation:', e.message));
    }
  }
  pc.addEventListener('connectionstatechange', () => {
    if (pc !== window.rtcPublisher.pc) return;
    setState(pc.connectionState);
    disconnectedSince = pc.connectionState === 'disconnected' ? disconnectedSince || Date.now() : 0;
    if (pc.connectionState === 'failed' && wanted) recover('The connection failed; trying again.');
  });
  client = new WhipClient(endpoint, { token: pageToken });
  try {
    await client.connect(pc);
  } catch (e) {
    showError(explain(e));
    if (e.status === 503 || e.status === 0) return reconnect(e.retryAfter || 2);
    setState('refused');
    await teardown();
    $('start').disabled = false;
    $('stop').disabled = true;
    wanted = false;
    return;
  }
  last = null;
  statsTimer = setInterval(updateStats, 1000);
}

// The path broke (failed, or disconnected for 2 s, as when the browser's
// address changed): ICE restart on the same session; a new one if the
// server refuses or cannot be reached. 2 s, not the viewer page's 5: the
// server ends a publisher's session after publisher-timeout (10 s by
// default) without media, and the browser says 'disconnected' only ~5 s
// after the path broke.
function recover(why) {
  disconnectedSince = 0;
  // (one at a time: a rule that fires again while the PATCH is on its way
  // must not be taken for the server's refusal)
  if (!client || client.restarting) return;
  showError(why);
  restartIce().then((ok) => { if (!ok && wanted) reconnect(2); });
}

// ICE restart (WhepClient.restartIce); tests call window.rtcPublisher.restart().
async function restartIce() {
  if (!client) return false;
  const ok = await client.restartIce();
  if (ok) window.rtcPublisher.iceRestarts++;
  return ok;
}

async function reconnect(seconds) {
  await teardown();
  window.rtcPublisher.reconnects++;
  setState(`reconnecting in ${seconds} s`);
  setTimeout(() => { if (wanted) start(); }, seconds * 1000);
}

async function stop() {
  wanted = false;
  await teardown();
  if (stream) for (const t of stream.getTracks()) t.stop();
  stream = null;
  $('preview').srcObject = null;
  setState('stopped');
  $('start').disabled = false;
  $('stop').disabled = true;
}

async function updateStats() {
  const pc = window.rtcPublisher.pc;
  if (!pc) return;
  if (disconnectedSince && Date.now() - disconnectedSince > 2000 && wanted) {
    return recover('The connection was lost; trying again.');
  }
  const report = await pc.getStats();
  const s = window.rtcPublisher.stats;
  const now = performance.now();
  let vBytes = 0, aBytes = 0;
  report.forEach((r) => {
    if (r.type === 'outbound-rtp' && r.kind === 'video') {
      vBytes = r.bytesSent;
      s.framesSent = r.framesSent || 0;
      s.width = r.frameWidth || 0;
      s.height = r.frameHeight || 0;
      s.fps = r.framesPerSecond || 0;
      const codec = report.get(r.codecId);
      if (codec) s.codec = codec.mimeType.replace('video/', '');
    } else if (r.type === 'outbound-rtp' && r.kind === 'audio') {
      aBytes = r.bytesSent;
      s.audioBytesSent = aBytes;
    } else if (r.type === 'candidate-pair' && r.nominated && r.currentRoundTripTime != null) {
      s.rttMs = Math.round(r.currentRoundTripTime * 1000);
    }
  });
  if (last) {
    const dt = (now - last.t) / 1000;
    s.videoKbps = Math.round(((vBytes - last.v) * 8) / dt / 1000);
    s.audioKbps = Math.round(((aBytes - last.a) * 8) / dt / 1000);
  }
  last = { t: now, v: vBytes, a: aBytes };
  $('resolution').textContent = s.width ? `${s.width}×${s.height}` : '–';
  $('fps').textContent = s.fps ? String(Math.round(s.fps)) : '–';
  $('vbitrate').textContent = `${s.videoKbps} kb/s`;
  $('abitrate').textContent = `${s.audioKbps} kb/s`;
  $('rtt').textContent = s.rttMs != null ? `${s.rttMs} ms` : '–';
  $('codec').textContent = s.codec || '–';
}

$('name').textContent = streamName;
$('endpoint').textContent = location.origin + endpoint;
$('start').addEventListener('click', start);
$('stop').addEventListener('click', stop);
// A closing tab ends its session at once (keepalive lets the DELETE out).
window.addEventListener('pagehide', () => { if (client) client.disconnect(true); });
