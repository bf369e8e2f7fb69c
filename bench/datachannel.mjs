// Data channel throughput and latency, all in one run on loopback:
//  - pipeline -> Chromium: webrtcpublish (tests/peers/datapeer.py) sends
//    MB of 16 KiB messages on a reliable ordered channel to the viewer page;
//  - Chromium -> pipeline: the page sends the same to the pipeline;
//  - pipeline -> pipeline: build/bench/bench-datachannel (webrtcpublish ->
//    webrtcsubscribe in one process);
//  - the reference, Chromium -> Chromium: two RTCPeerConnections in one
//    headless page, the same messages and flow control (bufferedAmount
//    under 1 MiB);
//  - latency of 100-byte messages at 10 Hz, pipeline <-> Chromium both
//    ways (one-way: both sides read the same wall clock) and pipeline <->
//    pipeline.
//   node bench/datachannel.mjs [MB] [runs]   (inside tests/netns-run.sh)
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { startDataPeer } from '../tests/browser/datapeer.mjs';
import { launchChromium } from '../tests/browser/chromium.mjs';

const MB = Number(process.argv[2] || 50);
const RUNS = Number(process.argv[3] || 3);
const CHUNK = 16384;
const BYTES = Math.floor((MB * 1024 * 1024) / CHUNK) * CHUNK;

const median = (v) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];
const pct = (v, p) => {
  const s = [...v].sort((a, b) => a - b);
  if (!s.length) return NaN;
  const r = (p / 100) * (s.length - 1);
  return s[Math.floor(r)] + (s[Math.ceil(r)] - s[Math.floor(r)]) * (r - Math.floor(r));
};
const fmt = (x) => (Number.isFinite(x) ? x.toFixed(1) : '–');

// In the page: Chromium -> Chromium over two local peer connections.
async function chromiumPair({ bytes, chunk, runs }) {
  const a = new RTCPeerConnection();
  const b = new RTCPeerConnection();
  a.onicecandidate = (e) => e.candidate && b.addIceCandidate(e.candidate);
  b.onicecandidate = (e) => e.candidate && a.addIceCandidate(e.candidate);
  const tx = a.createDataChannel('bulk');
  tx.bufferedAmountLowThreshold = 512 * 1024;
  const rx = new Promise((r) => { b.ondatachannel = (e) => r(e.channel); });
  await a.setLocalDescription(await a.createOffer());
  await b.setRemoteDescription(a.localDescription);
  await b.setLocalDescription(await b.createAnswer());
  await a.setRemoteDescription(b.localDescription);
  const ch = await rx;
  ch.binaryType = 'arraybuffer';
  if (tx.readyState !== 'open') await new Promise((r) => { tx.onopen = r; });
  const out = [];
  const msg = new Uint8Array(chunk).fill(0x5a);
  for (let run = 0; run < runs; run++) {
    let got = 0;
    const done = new Promise((r) => { ch.onmessage = (e) => { got += e.data.byteLength; if (got >= bytes) r(performance.now()); }; });
    const t0 = performance.now();
    for (let sent = 0; sent < bytes; sent += chunk) {
      while (tx.bufferedAmount > 1024 * 1024) await new Promise((r) => { tx.onbufferedamountlow = r; });
      tx.send(msg);
    }
    out.push(bytes / 1e6 / ((await done) - t0) * 1000);
  }
  a.close();
  b.close();
  return out;
}

async function main() {
  const peer = await startDataPeer(['--video=160x90@5', 'data-channels=chat,file,telemetry,bulk']);
  const browser = await launchChromium();
  const results = {};
  try {
    const page = await browser.context.newPage();
    await page.goto(`http://127.0.0.1:${peer.port}/view/live`);
    await page.waitForFunction(() => window.rtcViewer?.data?.isOpen('bulk') && window.rtcViewer.data.isOpen('telemetry'),
      null, { timeout: 60000 });
    await page.evaluate(() => {
      const d = window.rtcViewer.data;
      window.bench = { bytes: 0, last: 0, delays: [] };
      d.on('bulk', (m) => { window.bench.bytes += m.byteLength; window.bench.last = performance.now(); });
      d.on('telemetry', (m) => {
        if (typeof m === 'string' && m.startsWith('t:'))
          window.bench.delays.push(performance.timeOrigin + performance.now() - Number(m.slice(2).trim()));
      });
    });
    await new Promise((r) => setTimeout(r, 1000));

    // pipeline -> Chromium
    results.pipeToChromium = [];
    for (let run = 0; run < RUNS; run++) {
      const base = await page.evaluate(() => window.bench.bytes);
      const t0 = await page.evaluate(() => performance.now());
      const r = await peer.command({ cmd: 'send-bulk', label: 'bulk', size: BYTES, chunk: CHUNK });
      if (!r.ok) throw new Error('send-bulk failed');
      await page.waitForFunction((n) => window.bench.bytes >= n, base + BYTES, { timeout: 120000, polling: 50 });
      const t1 = await page.evaluate(() => window.bench.last);
      results.pipeToChromium.push(BYTES / 1e6 / ((t1 - t0) / 1000));
    }
    // Chromium -> pipeline
    results.chromiumToPipe = [];
    for (let run = 0; run < RUNS; run++) {
      const before = (await peer.command({ cmd: 'stats' })).stats.filter((s) => s.label === 'bulk')
        .reduce((a, s) => a + s.bytes, 0);
      const t0 = Date.now();
      await page.evaluate(async ({ bytes, chunk }) => {
        const msg = new Uint8Array(chunk).fill(1);
        for (let sent = 0; sent < bytes; sent += chunk) await window.rtcViewer.data.send('bulk', msg);
      }, { bytes: BYTES, chunk: CHUNK });
      for (;;) {
        const now = (await peer.command({ cmd: 'stats' })).stats.filter((s) => s.label === 'bulk')
          .reduce((a, s) => a + s.bytes, 0);
        if (now - before >= BYTES) break;
        await new Promise((r) => setTimeout(r, 20));
      }
      results.chromiumToPipe.push(BYTES / 1e6 / ((Date.now() - t0) / 1000));
    }
    // Latency, both ways, 100 messages at 10 Hz.
    await peer.command({ cmd: 'latency-send', label: 'telemetry', n: 100, hz: 10, size: 100 });
    await new Promise((r) => setTimeout(r, 500));
    results.pipeToChromiumDelay = await page.evaluate(() => window.bench.delays);
    await page.evaluate(async () => {
      for (let i = 0; i < 100; i++) {
        const stamp = `t:${(performance.timeOrigin + performance.now()).toFixed(3)}`;
        await window.rtcViewer.data.send('telemetry', stamp.padEnd(100, ' '));
        await new Promise((r) => setTimeout(r, 100));
      }
    });
    await new Promise((r) => setTimeout(r, 500));
    results.chromiumToPipeDelay = (await peer.command({ cmd: 'latency', label: 'telemetry' })).delays;
    // The reference, in the same browser.
    const ref = await browser.context.newPage();
    await ref.goto(`http://127.0.0.1:${peer.port}/`);
    results.chromiumPair = await ref.evaluate(chromiumPair, { bytes: BYTES, chunk: CHUNK, runs: RUNS });
  } finally {
    await browser.close();
    await peer.stop();
  }
  // pipeline -> pipeline, same run.
  const bin = fileURLToPath(new URL('../build/bench/bench-datachannel', import.meta.url));
  const pp = spawnSync(bin, ['--mb', String(MB), '--runs', String(RUNS)], { encoding: 'utf8', timeout: 600000 });
  process.stdout.write(pp.stdout.split('\n').filter((l) => !l.startsWith('RESULT')).join('\n'));
  const line = pp.stdout.split('\n').find((l) => l.startsWith('RESULT '));
  if (!line) throw new Error('bench-datachannel failed:\n' + pp.stderr);
  const p2p = JSON.parse(line.slice(7));

  const ref = median(results.chromiumPair);
  console.log(`\nreliable ordered channel, ${(BYTES / 1e6).toFixed(1)} MB of ${CHUNK / 1024} KiB messages, median of ${RUNS} runs (MB/s):`);
  console.log('path                    MB/s    runs                    vs Chromium pair');
  const row = (name, v) => console.log(`${name.padEnd(22)} ${fmt(median(v)).padStart(6)}   ${v.map(fmt).join(' ').padEnd(22)}  ${(median(v) / ref).toFixed(2)}`);
  row('pipeline -> Chromium', results.pipeToChromium);
  row('Chromium -> pipeline', results.chromiumToPipe);
  row('pipeline -> pipeline', [p2p.mbps]);
  row('Chromium -> Chromium', results.chromiumPair);
  console.log('\nlatency of 100-byte messages at 10 Hz, one way (ms):');
  const lat = (name, v) => console.log(`${name.padEnd(22)} p50 ${pct(v, 50).toFixed(2)}  p99 ${pct(v, 99).toFixed(2)}  (${v.length} messages)`);
  lat('pipeline -> Chromium', results.pipeToChromiumDelay);
  lat('Chromium -> pipeline', results.chromiumToPipeDelay);
  console.log(`${'publish -> subscribe'.padEnd(22)} p50 ${p2p.down_p50.toFixed(2)}  p99 ${p2p.down_p99.toFixed(2)}  (${p2p.down_n} messages)`);
  console.log(`${'subscribe -> publish'.padEnd(22)} p50 ${p2p.up_p50.toFixed(2)}  p99 ${p2p.up_p99.toFixed(2)}  (${p2p.up_n} messages)`);
}

main().catch((e) => { console.error(e); process.exit(1); });
