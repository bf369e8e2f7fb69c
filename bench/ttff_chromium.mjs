// Time to first frame in headless Chromium: our WHEP path (POST to
// webrtcpublish, answer, ICE, DTLS, first RTP, first decoded frame) and, in
// the same run and browser, the reference: two RTCPeerConnections in one
// page (canvas 640x360@30 VP8 -> receiver), signalled directly.
//   node bench/ttff_chromium.mjs [sessions]   (inside tests/netns-run.sh)
import { startPublisher } from '../tests/browser/publisher.mjs';
import { launchChromium } from '../tests/browser/chromium.mjs';

const sessions = Number(process.argv[2] || 20);

// Runs in the page. Returns per-session step times (ms since the start).
async function oursInPage({ whep, n }) {
  const out = [];
  for (let i = 0; i < n; i++) {
    const pc = new RTCPeerConnection({ bundlePolicy: 'max-bundle' });
    pc.addTransceiver('video', { direction: 'recvonly' });
    pc.addTransceiver('audio', { direction: 'recvonly' });
    const r = {};
    const t0 = performance.now();
    pc.oniceconnectionstatechange = () => {
      if (!r.ice && ['connected', 'completed'].includes(pc.iceConnectionState)) r.ice = performance.now() - t0;
    };
    pc.onconnectionstatechange = () => {
      if (!r.dtls && pc.connectionState === 'connected') r.dtls = performance.now() - t0;
    };
    const video = document.createElement('video');
    video.muted = true;
    document.body.append(video);
    const frame = new Promise((res) => {
      pc.ontrack = (e) => {
        if (e.track.kind !== 'video') return;
        video.srcObject = new MediaStream([e.track]);
        video.play().catch(() => {});
        video.requestVideoFrameCallback(() => res(performance.now() - t0));
      };
    });
    let stop = false;
    const rtp = (async () => {
      while (!stop) {
        const s = await pc.getStats();
        for (const x of s.values()) {
          if (x.type === 'inbound-rtp' && x.kind === 'video' && x.packetsReceived > 0) return performance.now() - t0;
        }
        await new Promise((res) => setTimeout(res, 2));
      }
      return null;
    })();
    await pc.setLocalDescription(await pc.createOffer());
    const resp = await fetch(whep, { method: 'POST', headers: { 'Content-Type': 'application/sdp' }, body: pc.localDescription.sdp });
    const answer = await resp.text();
    r.answer = performance.now() - t0;
    const loc = new URL(resp.headers.get('Location'), whep).href;
    await pc.setRemoteDescription({ type: 'answer', sdp: answer });
    r.frame = await Promise.race([frame, new Promise((res) => setTimeout(() => res(null), 15000))]);
    stop = true;
    r.rtp = await rtp;
    await fetch(loc, { method: 'DELETE' });
    pc.close();
    video.remove();
    out.push(r);
    await new Promise((res) => setTimeout(res, 200));
  }
  return out;
}

async function referenceInPage({ n }) {
  const canvas = document.createElement('canvas');
  canvas.width = 640;
  canvas.height = 360;
  const g = canvas.getContext('2d');
  let k = 0;
  const draw = setInterval(() => {
    g.fillStyle = `hsl(${(k += 7) % 360},60%,50%)`;
    g.fillRect(0, 0, 640, 360);
    g.fillStyle = '#fff';
    g.fillText(String(k), 20 + (k % 600), 180);
  }, 33);
  const stream = canvas.captureStream(30);
  const out = [];
  for (let i = 0; i < n; i++) {
    const a = new RTCPeerConnection({ bundlePolicy: 'max-bundle' });
    const b = new RTCPeerConnection({ bundlePolicy: 'max-bundle' });
    a.onicecandidate = (e) => e.candidate && b.addIceCandidate(e.candidate);
    b.onicecandidate = (e) => e.candidate && a.addIceCandidate(e.candidate);
    const tr = a.addTransceiver(stream.getVideoTracks()[0], { direction: 'sendonly' });
    const vp8 = RTCRtpSender.getCapabilities('video').codecs.filter((c) => c.mimeType === 'video/VP8');
    tr.setCodecPreferences(vp8);
    const r = {};
    const t0 = performance.now();
    b.oniceconnectionstatechange = () => {
      if (!r.ice && ['connected', 'completed'].includes(b.iceConnectionState)) r.ice = performance.now() - t0;
    };
    b.onconnectionstatechange = () => {
      if (!r.dtls && b.connectionState === 'connected') r.dtls = performance.now() - t0;
    };
    const video = document.createElement('video');
    video.muted = true;
    document.body.append(video);
    const frame = new Promise((res) => {
      b.ontrack = (e) => {
        video.srcObject = new MediaStream([e.track]);
        video.play().catch(() => {});
        video.requestVideoFrameCallback(() => res(performance.now() - t0));
      };
    });
    let stop = false;
    const rtp = (async () => {
      while (!stop) {
        const s = await b.getStats();
        for (const x of s.values()) {
          if (x.type === 'inbound-rtp' && x.kind === 'video' && x.packetsReceived > 0) return performance.now() - t0;
        }
        await new Promise((res) => setTimeout(res, 2));
      }
      return null;
    })();
    await a.setLocalDescription(await a.createOffer());
    await b.setRemoteDescription(a.localDescription);
    await b.setLocalDescription(await b.createAnswer());
    await a.setRemoteDescription(b.localDescription);
    r.answer = performance.now() - t0;
    r.frame = await Promise.race([frame, new Promise((res) => setTimeout(() => res(null), 15000))]);
    stop = true;
    r.rtp = await rtp;
    a.close();
    b.close();
    video.remove();
    out.push(r);
    await new Promise((res) => setTimeout(res, 200));
  }
  clearInterval(draw);
  return out;
}

function pct(values, p) {
  const v = values.filter((x) => x != null).sort((x, y) => x - y);
  if (!v.length) return NaN;
  const rank = (p / 100) * (v.length - 1);
  const lo = Math.floor(rank);
  const hi = Math.ceil(rank);
  return v[lo] + (v[hi] - v[lo]) * (rank - lo);
}

const pub = await startPublisher([
  'videotestsrc', 'is-live=true', '!', 'video/x-raw,width=640,height=360,framerate=30/1', '!',
  'webrtcpublish', 'name=pub', 'port=0', 'codec-preferences=VP8,OPUS',
  'audiotestsrc', 'is-live=true', '!', 'pub.',
]);
const browser = await launchChromium();
try {
  const page = await browser.context.newPage();
  await page.goto(`http://127.0.0.1:${pub.port}/`);
  // Warm up both paths once (browser codec and network stack initialisation).
  await page.evaluate(oursInPage, { whep: `http://127.0.0.1:${pub.port}/whep/live`, n: 1 });
  await page.evaluate(referenceInPage, { n: 1 });
  const ours = await page.evaluate(oursInPage, { whep: `http://127.0.0.1:${pub.port}/whep/live`, n: sessions });
  const ref = await page.evaluate(referenceInPage, { n: sessions });
  console.log(`time to first frame in headless Chromium, ${sessions} sessions each (ms from offer creation)`);
  console.log(`  ${'step'.padEnd(20)} ${'ours p50'.padStart(9)} ${'ours p95'.padStart(9)} ${'ref p50'.padStart(9)} ${'ref p95'.padStart(9)} ${'p50 ratio'.padStart(10)}`);
  for (const [key, label] of [['answer', 'answer returned'], ['ice', 'ICE connected'], ['dtls', 'DTLS connected'], ['rtp', 'first RTP packet'], ['frame', 'first decoded frame']]) {
    const o = ours.map((r) => r[key]);
    const f = ref.map((r) => r[key]);
    const row = [pct(o, 50), pct(o, 95), pct(f, 50), pct(f, 95)].map((x) => x.toFixed(1).padStart(9)).join(' ');
    console.log(`  ${label.padEnd(20)} ${row} ${(pct(o, 50) / pct(f, 50)).toFixed(2).padStart(10)}`);
  }
  const failed = ours.filter((r) => r.frame == null).length;
  console.log(`  ours: ${failed} of ${sessions} sessions without a frame; reference = two peer connections in one page (VP8 640x360@30 canvas)`);
} finally {
  await browser.close();
  await pub.stop();
}
