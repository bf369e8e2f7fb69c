// Fan-out against Janus: one pre-encoded VP8 640x360@30 stream (~2 Mb/s,
// videotestsrc snow, blocky, a keyframe every 2 s) as RTP into each server in turn,
// N libwebrtc viewers (npm @roamhq/wrtc, in this process, shared by every
// server), the server process's CPU, threads and RSS over --seconds per step:
//   - Janus 1.1 (Debian's janus: the HTTP transport and the Streaming plugin,
//     one RTP mountpoint), viewers through its HTTP API;
//   - webrtcpublish (defaults: congestion control on), fed by
//     udpsrc ! rtpvp8depay, viewers through WHEP;
//   - the same with congestion-control=none;
//   - (--stats-cost K) only the cost of stats: the defaults without and with
//     stats-interval=1000 and 100, in turn, K rounds, gst-launch-1.0 without
//     -m (its printing of every message is not the element's cost); prints
//     each round's difference per extra viewer and their median, and the
//     cost every second derived from every 100 ms (ten times the work: above
//     the noise between runs) (bench/run.sh stats).
// Prints per step and per extra viewer (the slope from N=1 to the largest
// N) and the ratios to Janus. Run inside tests/netns-run.sh (bench/run.sh
// fanout does). Usage: node bench/fanout.mjs [--steps 1,8,16,32]
// [--seconds 10] [--only janus,gcc,none] [--perf DIR] (a perf profile of
// each server at the largest N into DIR); node bench/fanout.mjs --joiners
// 100 [--within 10]: a crowd of real viewers (see joiners () below;
// bench/run.sh joiners); node bench/fanout.mjs --churn 100: memory after
// viewers that come and go (see churn () below; bench/run.sh churn).
import wrtc from '@roamhq/wrtc';
import { spawn, execFileSync } from 'node:child_process';
import { readFileSync, mkdirSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { freePort, startJanus } from '../tests/browser/janus.mjs';
import { startPublisher } from '../tests/browser/publisher.mjs';
import { onLines, waitFor, stopper } from '../tests/browser/proc.mjs';

const { values: opts } = parseArgs({
  options: {
    steps: { type: 'string', default: '1,8,16,32' },
    seconds: { type: 'string', default: '10' },
    only: { type: 'string', default: 'janus,gcc,none' },
    perf: { type: 'string' },
    joiners: { type: 'string' },
    within: { type: 'string', default: '10' },
    churn: { type: 'string' },
    'stats-cost': { type: 'string' },
    env: { type: 'string', multiple: true, default: [] },
  },
});
const STEPS = opts.steps.split(',').map(Number);
const SECONDS = Number(opts.seconds);
const CAPS = 'application/x-rtp,media=video,clock-rate=90000,encoding-name=VP8,payload=96';
const TICK = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim());

function proc(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8').split(')').pop().trim().split(/\s+/);
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = (k) => Number((status.match(new RegExp(`^${k}:\\s+(\\d+)`, 'm')) || [0, 0])[1]);
  return { cpu: (Number(stat[11]) + Number(stat[12])) / TICK, rss: field('VmRSS') / 1024, threads: field('Threads') };
}

function launch(args) {
  const child = spawn('gst-launch-1.0', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  onLines(child.stdout, (l) => { out += l + '\n'; });
  onLines(child.stderr, (l) => { out += l + '\n'; });
  child.output = () => out;
  child.stop = () => new Promise((done) => {
    if (child.exitCode !== null) return done();
    child.once('exit', done);
    child.kill('SIGINT');
    setTimeout(() => child.kill('SIGKILL'), 5000).unref();
  });
  return child;
}

// The stream both servers get: one encoder, RTP to each server's port.
function startSource(ports) {
  // Snow drawn at 160x90 and scaled up (blocky noise): about 2.2 Mb/s at
  // 640x360 (full-resolution snow does not compress below ~7 Mb/s).
  return launch(['-q', 'videotestsrc', 'is-live=true', 'pattern=snow', '!',
    'video/x-raw,width=160,height=90,framerate=30/1', '!', 'videoscale', 'method=nearest-neighbour', '!',
    'video/x-raw,width=640,height=360', '!',
    'vp8enc', 'target-bitrate=2000000', 'end-usage=cbr', 'deadline=1', 'cpu-used=8',
    'keyframe-max-dist=60', 'threads=2', '!',
    'rtpvp8pay', 'pt=96', 'mtu=1200', 'picture-id-mode=15-bit', '!',
    'multiudpsink', `clients=${ports.map((p) => `127.0.0.1:${p}`).join(',')}`, 'sync=false']);
}

const gathered = (pc) => new Promise((done) => {
  if (pc.iceGatheringState === 'complete') return done();
  pc.addEventListener('icegatheringstatechange', () => {
    if (pc.iceGatheringState === 'complete') done();
  });
});

// ---- viewers ----

// 503 comes until the first frames arrived, or while max-handshakes
// sessions are connecting: then again after Retry-After (else 200 ms).
async function whepViewer(url) {
  const pc = new wrtc.RTCPeerConnection();
  pc.addTransceiver('video', { direction: 'recvonly' });
  await pc.setLocalDescription(await pc.createOffer());
  await gathered(pc);
  let r;
  let refused = 0;
  for (;;) {
    r = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/sdp' }, body: pc.localDescription.sdp });
    if (r.status !== 503 || refused > 100) break;
    refused++;
    await sleep(Number(r.headers.get('retry-after')) * 1000 || 200);
  }
  if (r.status !== 201) throw new Error(`WHEP answered ${r.status}: ${await r.text()}`);
  const admitted = performance.now();
  await pc.setRemoteDescription({ type: 'answer', sdp: await r.text() });
  return { pc, refused, admitted,
    close: () => { pc.close(); fetch(new URL(r.headers.get('location'), url), { method: 'DELETE' }).catch(() => {}); } };
}

async function janusViewer(base) {
  let tx = 0;
  const call = async (path, body) => {
    const r = await fetch(base + path, { method: 'POST', body: JSON.stringify({ transaction: `t${++tx}`, ...body }) });
    const j = await r.json();
    if (j.janus === 'error') throw new Error(`Janus: ${JSON.stringify(j.error)}`);
    return j;
  };
  const session = (await call('', { janus: 'create' })).data.id;
  const handle = (await call(`/${session}`, { janus: 'attach', plugin: 'janus.plugin.streaming' })).data.id;
  const pc = new wrtc.RTCPeerConnection();
  let open = true;
  const offer = (async () => { // the long poll: the offer, then trickled candidates
    for (;;) {
      const r = await fetch(`${base}/${session}?maxev=10`);
      const events = [].concat(await r.json());
      for (const e of events) {
        if (e.jsep && e.jsep.type === 'offer') return e.jsep;
        if (e.janus === 'event' && e.plugindata && e.plugindata.data.error) throw new Error(`Janus: ${e.plugindata.data.error}`);
      }
      if (!open) return null;
    }
  })();
  await call(`/${session}/${handle}`, { janus: 'message', body: { request: 'watch', id: 1 } });
  const jsep = await offer;
  await pc.setRemoteDescription(jsep);
  await pc.setLocalDescription(await pc.createAnswer());
  await gathered(pc);
  await call(`/${session}/${handle}`, { janus: 'message', body: { request: 'start' },
    jsep: { type: 'answer', sdp: pc.localDescription.sdp } });
  return { pc, close: () => { open = false; pc.close(); call(`/${session}`, { janus: 'destroy' }).catch(() => {}); } };
}

async function received(viewers) {
  let packets = 0;
  let frames = 0;
  const each = [];
  for (const v of viewers) {
    let p = 0;
    (await v.pc.getStats()).forEach((s) => {
      if (s.type === 'inbound-rtp' && s.kind === 'video') {
        p += s.packetsReceived || 0;
        frames += s.framesDecoded || 0;
      }
    });
    packets += p;
    each.push(p);
  }
  return { packets, frames, each };
}

// ---- one server through the steps ----

async function run(name, server, connect, steps = STEPS) {
  const viewers = [];
  const rows = [];
  try {
    for (const n of steps) {
      while (viewers.length < n) {
        const batch = [];
        for (let i = viewers.length; i < n && batch.length < 8; i++) batch.push(connect());
        viewers.push(...(await Promise.all(batch)));
      }
      await waitFor(async () => (await received(viewers)).each.every((p) => p > 0), 30000,
        `${name}: all ${n} viewers receiving`);
      await sleep(3000);
      const r0 = await received(viewers);
      const p0 = proc(server.pid);
      const t0 = performance.now();
      let perf = null;
      if (opts.perf && n === steps[steps.length - 1]) {
        mkdirSync(opts.perf, { recursive: true });
        perf = spawn('perf', ['record', '-F', '499', '-g', '-p', String(server.pid), '-o',
          `${opts.perf}/${name.replace(/\W+/g, '_')}.data`, '--', 'sleep', String(SECONDS)], { stdio: 'ignore' });
      }
      await sleep(SECONDS * 1000);
      const p1 = proc(server.pid);
      const t1 = performance.now();
      const r1 = await received(viewers);
      if (perf) await new Promise((done) => perf.once('exit', done));
      const stalled = r1.each.filter((p, i) => p === r0.each[i]).length;
      rows.push({ n, cpu: ((p1.cpu - p0.cpu) * 1000) / ((t1 - t0) / 1000), rss: p1.rss, threads: p1.threads,
        pps: (r1.packets - r0.packets) / ((t1 - t0) / 1000) / n, fps: (r1.frames - r0.frames) / ((t1 - t0) / 1000) / n, stalled });
    }
  } finally {
    for (const v of viewers) v.close();
  }
  return rows;
}

function report(name, rows) {
  console.log(`${name}`);
  console.log(`  ${'viewers'.padStart(7)} ${'CPU ms/s'.padStart(9)} ${'RSS MB'.padStart(7)} ${'threads'.padStart(7)} ${'pkts/s/viewer'.padStart(13)} ${'fps/viewer'.padStart(10)} stalled`);
  for (const r of rows)
    console.log(`  ${String(r.n).padStart(7)} ${r.cpu.toFixed(1).padStart(9)} ${r.rss.toFixed(1).padStart(7)} ${String(r.threads).padStart(7)} ${r.pps.toFixed(0).padStart(13)} ${r.fps.toFixed(1).padStart(10)} ${r.stalled}`);
  const a = rows[0];
  const b = rows[rows.length - 1];
  const extra = b.n - a.n;
  const per = { cpu: (b.cpu - a.cpu) / extra, threads: (b.threads - a.threads) / extra, rss: (b.rss - a.rss) / extra };
  console.log(`  per extra viewer (N=${a.n} -> ${b.n}): CPU ${per.cpu.toFixed(2)} ms/s, threads ${per.threads.toFixed(2)}, RSS ${per.rss.toFixed(2)} MB`);
  return per;
}

// Goal 6's other side: --joiners N viewers arrive within --within s (one
// every within/N s) at a webrtcpublish with its defaults encoding a
// 320x180@30 stream (small, so that 100 libwebrtc viewers can decode it on
// this machine); each retries on 503 after Retry-After. Prints how many
// played, the time from the first arrival until the last one decoded a
// frame, each one's arrival -> first frame, the refusals, and the
// publisher's peak threads and RSS.
async function joiners(n, within) {
  const pub = await startPublisher(['videotestsrc', 'is-live=true', 'pattern=ball', '!',
    'video/x-raw,width=320,height=180,framerate=30/1', '!', 'webrtcpublish', 'name=pub', 'port=0',
    'codec-preferences=VP8']);
  const url = `http://127.0.0.1:${pub.port}/whep/live`;
  const peak = { threads: 0, rss: 0 };
  const sampler = setInterval(() => {
    try {
      const p = proc(pub.proc.pid);
      peak.threads = Math.max(peak.threads, p.threads);
      peak.rss = Math.max(peak.rss, p.rss);
    } catch { /* gone */ }
  }, 200);
  const viewers = [];
  try {
    await sleep(2000); // the stream has started
    const t0 = performance.now();
    const results = await Promise.all(Array.from({ length: n }, async (_, i) => {
      await sleep((i * within * 1000) / n);
      const arrived = performance.now();
      try {
        const v = await whepViewer(url);
        viewers.push(v);
        const decoded = async () => {
          let f = 0;
          (await v.pc.getStats()).forEach((st) => { if (st.type === 'inbound-rtp') f += st.framesDecoded || 0; });
          return f > 0;
        };
        await waitFor(decoded, 60000, 'a first frame', 50);
        return { arrived, admitted: v.admitted, first: performance.now(), refused: v.refused };
      } catch (e) {
        return { arrived, error: e.message };
      }
    }));
    const played = results.filter((r) => !r.error);
    const pct = (xs, q) => xs.sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))];
    const toFirst = played.map((r) => r.first - r.arrived);
    const afterAdmission = played.map((r) => r.first - r.admitted);
    console.log(`${n} WHEP viewers arriving within ${within} s (webrtcpublish defaults, VP8 320x180@30):`);
    console.log(`  played ${played.length} of ${n}; ${results.length - played.length} failed${played.length < n ? ': ' + [...new Set(results.filter((r) => r.error).map((r) => r.error))].join('; ') : ''}`);
    if (played.length) {
      console.log(`  first arrival -> last first frame: ${((Math.max(...played.map((r) => r.first)) - t0) / 1000).toFixed(1)} s`);
      console.log(`  arrival -> first frame: p50 ${pct(toFirst, 0.5).toFixed(0)} ms, p95 ${pct(toFirst, 0.95).toFixed(0)} ms, max ${Math.max(...toFirst).toFixed(0)} ms`);
      console.log(`  admission -> first frame: p50 ${pct(afterAdmission, 0.5).toFixed(0)} ms, max ${Math.max(...afterAdmission).toFixed(0)} ms`);
      console.log(`  refused with 503 (then retried): ${played.reduce((a, r) => a + r.refused, 0)} times, by ${played.filter((r) => r.refused).length} viewers`);
    }
    console.log(`  publisher peak: ${peak.threads} threads, ${peak.rss.toFixed(0)} MB RSS`);
  } finally {
    clearInterval(sampler);
    for (const v of viewers) v.close();
    await pub.stop();
  }
}

// Goal 3: --churn N viewers come and go, 4 at a time, each until it
// received packets for a second, at webrtcpublish (defaults) fed by the
// same RTP stream. Prints the server's RSS every 20 viewers and once the
// last sessions are released, against Janus's RSS with 16 concurrent
// viewers (target: the plateau <= 2x that). --env K=V (repeatable) runs a
// second publisher with that environment (e.g. MALLOC_ARENA_MAX=1).
async function sequential(name, server, connect, n) {
  const first = proc(server.pid);
  const samples = [{ n: 0, rss: first.rss, threads: first.threads }];
  for (let i = 0; i < n; i += 4) {
    const batch = await Promise.all(Array.from({ length: Math.min(4, n - i) }, () => connect()));
    try {
      await waitFor(async () => (await received(batch)).each.every((p) => p > 0), 30000,
        `${name}: viewers ${i + 1}-${i + batch.length} receiving`);
      await sleep(1000);
    } finally {
      for (const v of batch) v.close();
    }
    const every = n >= 500 ? 100 : 20;
    if ((i + batch.length) % every === 0) {
      // The batch's sessions are released in the background: sample once they went.
      await sleep(500);
      const p = proc(server.pid);
      samples.push({ n: i + batch.length, rss: p.rss, threads: p.threads });
    }
  }
  await sleep(5000);
  const after = proc(server.pid);
  console.log(`${name}`);
  console.log(`  RSS MB after N viewers came and went: ${samples.map((x) => `${x.n}: ${x.rss.toFixed(1)}`).join(', ')}`);
  console.log(`  threads then: ${samples.map((x) => `${x.n}: ${x.threads}`).join(', ')}`);
  console.log(`  5 s after the last one left: ${after.rss.toFixed(1)} MB, ${after.threads} threads`);
  // Flat after warm-up: the second half's samples against the middle one.
  const mid = samples[Math.floor(samples.length / 2)], last = samples[samples.length - 1];
  console.log(`  second half: RSS ${mid.rss.toFixed(1)} -> ${last.rss.toFixed(1)} MB (${(last.rss - mid.rss).toFixed(1)}), ` +
    `threads ${mid.threads} -> ${last.threads}; at the start ${samples[0].threads} threads`);
  return { start: samples[0].rss, plateau: Math.max(...samples.slice(-3).map((x) => x.rss)), after: after.rss };
}

async function churn(n, janusPort, gstPort) {
  const results = [];
  const janus = await startJanus(20000, { streaming: janusConfig(janusPort) });
  let janus16;
  try {
    const rows = await run('janus', janus, () => janusViewer(janus.url), [16]);
    janus16 = rows[0].rss;
    console.log(`Janus 1.1 Streaming: ${janus16.toFixed(1)} MB RSS with 16 viewers`);
  } finally {
    await janus.stop();
  }
  for (const env of [null, ...opts.env]) {
    const saved = { ...process.env };
    if (env) {
      const [k, ...v] = env.split('=');
      process.env[k] = v.join('=');
    }
    let pub;
    try {
      pub = await startPublisher(['udpsrc', 'address=127.0.0.1', `port=${gstPort}`, `caps=${CAPS}`, '!',
        'rtpjitterbuffer', 'latency=20', '!', 'rtpvp8depay', '!', 'webrtcpublish', 'name=pub', 'port=0']);
    } finally {
      process.env = saved;
    }
    try {
      const url = `http://127.0.0.1:${pub.port}/whep/live`;
      const name = `webrtcpublish (defaults${env ? ', ' + env : ''}), ${n} viewers one after another`;
      results.push({ name: env || 'defaults', ...(await sequential(name, pub.proc, () => whepViewer(url), n)) });
    } finally {
      await pub.stop();
    }
  }
  console.log('plateau (largest of the last three samples) against Janus with 16 viewers (target <= 2.0):');
  for (const r of results)
    console.log(`  ${r.name.padEnd(20)} ${(r.plateau / janus16).toFixed(2)}x (${r.plateau.toFixed(1)} MB; started at ${r.start.toFixed(1)}, ${r.after.toFixed(1)} after)`);
}

// gst-launch-1.0 without -m on a port of our choosing, ready once it serves
// /streams.json: { port, proc, stop () }.
async function startQuiet(launchArgs) {
  const port = await freePort();
  const proc = spawn('gst-launch-1.0', [...launchArgs, `port=${port}`], { stdio: ['ignore', 'ignore', 'pipe'] });
  let output = '';
  proc.stderr.on('data', (c) => { output = (output + c.toString()).slice(-3000); });
  await waitFor(async () => {
    if (proc.exitCode !== null) throw new Error(`gst-launch-1.0 exited:\n${output}`);
    try {
      return (await fetch(`http://127.0.0.1:${port}/streams.json`)).ok;
    } catch (e) {
      return false;
    }
  }, 30000, 'the publisher to listen');
  return { port, proc, stop: stopper(proc) };
}

async function statsCost(rounds, gstPort) {
  const at1s = [];
  const from100ms = [];
  const median = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
  for (let i = 0; i < rounds; i++) {
    const slope = {};
    for (const [key, props] of [['off', []], ['1000', ['stats-interval=1000']], ['100', ['stats-interval=100']]]) {
      const pub = await startQuiet(['udpsrc', 'address=127.0.0.1', `port=${gstPort}`, `caps=${CAPS}`, '!',
        'rtpjitterbuffer', 'latency=20', '!', 'rtpvp8depay', '!', 'webrtcpublish', 'name=pub', ...props]);
      try {
        const url = `http://127.0.0.1:${pub.port}/whep/live`;
        slope[key] = report(`round ${i + 1}: webrtcpublish ${props.join(' ') || '(defaults)'}`,
          await run(`stats ${key}`, pub.proc, () => whepViewer(url))).cpu;
      } finally {
        await pub.stop();
      }
    }
    at1s.push(slope['1000'] - slope.off);
    from100ms.push((slope['100'] - slope.off) / 10);
    console.log(`round ${i + 1}: stats every second ${at1s[i].toFixed(2)}, every 100 ms ${(slope['100'] - slope.off).toFixed(2)} ` +
      `ms of CPU per second per extra viewer`);
  }
  console.log(`stats every second, per extra viewer (target <= 0.5 ms of CPU per second), over ${rounds} rounds:`);
  console.log(`  measured at 1 s: median ${median(at1s).toFixed(2)} ms/s (each: ${at1s.map((c) => c.toFixed(2)).join(', ')})`);
  console.log(`  every 100 ms / 10: median ${median(from100ms).toFixed(3)} ms/s (each: ${from100ms.map((c) => c.toFixed(3)).join(', ')})`);
}

const janusConfig = (port) => `general: { }
bench: {
  type = "rtp"
  id = 1
  description = "bench"
  media = ( { type = "video" mid = "v" port = ${port} pt = 96 codec = "vp8" } )
}
`;

async function main() {
  if (opts.joiners) return joiners(Number(opts.joiners), Number(opts.within));
  const only = opts.only.split(',');
  const janusPort = await freePort();
  const gstPort = await freePort();
  const source = startSource([janusPort, gstPort]);
  const results = {};
  try {
    await sleep(1000);
    if (source.exitCode !== null) throw new Error(`the source stopped:\n${source.output()}`);
    if (opts.churn) return await churn(Number(opts.churn), janusPort, gstPort);
    if (opts['stats-cost']) return await statsCost(Number(opts['stats-cost']), gstPort);
    if (only.includes('janus')) {
      const janus = await startJanus(20000, { streaming: janusConfig(janusPort) });
      try {
        results.janus = report('Janus 1.1 Streaming', await run('janus', janus, () => janusViewer(janus.url)));
      } finally {
        await janus.stop();
      }
    }
    const CONFIGS = { gcc: ['congestion-control=gcc'], none: ['congestion-control=none'] };
    for (const [key, props] of Object.entries(CONFIGS)) {
      if (!only.includes(key)) continue;
      const pub = await startPublisher(['udpsrc', 'address=127.0.0.1', `port=${gstPort}`, `caps=${CAPS}`, '!',
        'rtpjitterbuffer', 'latency=20', '!', 'rtpvp8depay', '!',
        'webrtcpublish', 'name=pub', 'port=0', ...props]);
      try {
        const url = `http://127.0.0.1:${pub.port}/whep/live`;
        results[key] = report(`webrtcpublish ${props.join(' ')}`, await run(`webrtcpublish ${key}`, pub.proc, () => whepViewer(url)));
      } finally {
        await pub.stop();
      }
    }
  } finally {
    await source.stop();
  }
  if (results.janus) {
    console.log('ratios to Janus per extra viewer (target: CPU <= 1.0 with gcc, <= 0.7 with none; threads <= 3):');
    for (const cc of ['gcc', 'none']) {
      const r = results[cc];
      if (!r) continue;
      console.log(`  ${cc.padEnd(5)} CPU ${(r.cpu / results.janus.cpu).toFixed(2)}x  threads ${r.threads.toFixed(2)} (Janus ${results.janus.threads.toFixed(2)})  RSS ${(r.rss / results.janus.rss).toFixed(2)}x`);
    }
  }
}

main().then(() => process.exit(0), (e) => { console.error(e); process.exit(1); });
