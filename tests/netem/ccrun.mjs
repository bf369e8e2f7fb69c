// Congestion control runs over the emulated path (netem.py): a sender in
// namespace A, a receiver in namespace B, the path's statistics every
// 200 ms, and the metrics of RFC 8868 computed from them.
//
//   sender 'ours':     webrtcpublish (gst-launch-1.0) in A -> headless
//                      Chromium's viewer page in B (Chromium's receiver
//                      sends the TWCC feedback our GCC reads)
//   sender 'chromium': headless Chromium's publish page (its fake camera,
//                      its own GCC) in A -> webrtcsubscribe in B
//
// Used by tests/browser/cc.test.mjs (short runs, asserted) and
// bench/cc.mjs (RFC 8867 scenarios, printed and plotted).
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, chmodSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { launchChromium } from '../browser/chromium.mjs';
import { onLines, stopper, waitFor } from '../browser/proc.mjs';

const NETEM = fileURLToPath(new URL('netem.py', import.meta.url));
const SUBSCRIBER = fileURLToPath(new URL('../peers/subscriber.py', import.meta.url));
export const A = '10.81.0.1';
// Both senders send the same picture: SMPTE bars scrolling (encoders hit
// any target from 0.3 to 3 Mb/s with it, without dropping frames) at 640x480.
const WIDTH = 640;
const HEIGHT = 480;
const PATTERN = ['pattern=smpte', 'horizontal-speed=3'];
export const B = '10.81.0.2';

// RFC 8867 §5.1 (variable available capacity) and shortened variants.
// Capacities in bit/s; the reverse path is not the bottleneck.
export const SCENARIOS = {
  // §5.1: 1 Mb/s, x2.5 at 40 s, x0.6 at 60 s, x1.0 at 80 s, 100 s.
  'variable': { seconds: 100, schedule: [[0, 1e6], [40, 2.5e6], [60, 0.6e6], [80, 1e6]] },
  // The same shape in 55 s, for CI (20 s after the last rise).
  'variable-short': { seconds: 55, schedule: [[0, 1e6], [15, 2.5e6], [25, 0.6e6], [35, 1e6]] },
  // §5.6: media against a long TCP flow on 2 Mb/s (TCP from 10 s).
  'tcp': { seconds: 60, schedule: [[0, 2e6]], tcp: { start: 10, seconds: 45 } },
  // Two media flows sharing 2 Mb/s (the second joins at 10 s).
  'fairness': { seconds: 60, schedule: [[0, 2e6]], flows: 2, join: 10 },
};

function netemConfig(name, scenario, seed) {
  return {
    name, seed, a: A, b: B,
    ab: { schedule: scenario.schedule.map(([t, r]) => [t, r]), delay_ms: 50, queue_ms: 300,
          jitter_ms: scenario.jitter_ms || 0, loss: scenario.loss || 0 },
    ba: { schedule: [[0, 20e6]], delay_ms: 50, queue_ms: 300 },
  };
}

// Starts the path; resolves with {nsA, nsB, samples, stop}.
export async function startPath(scenario, seed = 1) {
  const name = `cc${process.pid % 10000}${Math.floor(Math.random() * 100)}`;
  const dir = mkdtempSync(join(tmpdir(), 'rtc-netem-'));
  const cfg = join(dir, 'netem.json');
  writeFileSync(cfg, JSON.stringify(netemConfig(name, scenario, seed)));
  const proc = spawn('/usr/bin/python3', [NETEM, 'run', cfg], { stdio: ['pipe', 'pipe', 'pipe'] });
  const samples = [];
  let err = '';
  proc.stderr.on('data', (c) => { err += c; });
  let ready;
  const up = new Promise((r) => { ready = r; });
  let t0 = 0;
  onLines(proc.stdout, (line) => {
    if (line === 'READY') { t0 = Date.now(); ready(); return; }
    if (line.startsWith('{')) samples.push(JSON.parse(line));
  });
  await Promise.race([up, new Promise((_, rej) => setTimeout(() => rej(new Error('netem: ' + err)), 10000))]);
  // A wrapper that starts Chromium inside a namespace.
  const wrapper = (ns) => {
    const f = join(dir, `chromium-${ns}`);
    writeFileSync(f, `#!/bin/sh\nexec ip netns exec ${ns} /usr/bin/chromium "$@"\n`);
    chmodSync(f, 0o755);
    return f;
  };
  return {
    nsA: `${name}a`, nsB: `${name}b`, samples, started: () => t0,
    chromiumIn: wrapper,
    // B's address changes (a laptop moving to another network): @to is
    // added to B's end of the path, then B's old address is removed, so
    // every socket bound to it is cut off. The path itself stays up.
    moveB: (to) => {
      const ip = (...args) => execFileSync('ip', ['-n', `${name}b`, ...args]);
      // The new address is a secondary one until the old goes: promoted
      // then, instead of removed with it (the kernel's default).
      execFileSync('ip', ['netns', 'exec', `${name}b`, 'sysctl', '-qw',
        `net.ipv4.conf.${name}tb.promote_secondaries=1`]);
      ip('addr', 'add', `${to}/32`, 'peer', `${A}/32`, 'dev', `${name}tb`);
      ip('addr', 'del', `${B}/32`, 'peer', `${A}/32`, 'dev', `${name}tb`);
    },
    stop: async () => {
      proc.stdin.end();
      await new Promise((r) => { proc.once('exit', r); setTimeout(r, 5000); });
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function inNs(ns, cmd, args, env = {}) {
  return spawn('ip', ['netns', 'exec', ns, cmd, ...args], {
    stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, ...env },
  });
}

// webrtcpublish in A (gst-launch-1.0 -m); resolves with its port.
export async function startOurSender(ns, extra = []) {
  const proc = inNs(ns, 'gst-launch-1.0', ['-m',
    'videotestsrc', 'is-live=true', ...PATTERN, '!', `video/x-raw,width=${WIDTH},height=${HEIGHT},framerate=30/1`, '!',
    'webrtcpublish', 'name=pub', `address=${A}`, 'port=0', 'video-bitrate=3000000', ...extra,
    'audiotestsrc', 'is-live=true', 'wave=pink-noise', '!', 'pub.']);
  let output = '';
  const port = await new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('sender did not start:\n' + output)), 20000);
    const on = (c) => {
      output += c;
      const m = output.match(/webrtcpublish-listening.*port=\(uint\)(\d+)/);
      if (m) { clearTimeout(t); resolve(Number(m[1])); }
    };
    proc.stdout.on('data', on);
    proc.stderr.on('data', on);
    proc.on('exit', (c) => reject(new Error(`sender exited ${c}:\n${output}`)));
  });
  return { port, output: () => output, stop: stopper(proc) };
}

// webrtcsubscribe (tests/peers/subscriber.py) in @ns, listening on @address
// (B's by default); resolves with its port.
export async function startOurReceiver(ns, address = B) {
  const proc = inNs(ns, '/usr/bin/python3', [SUBSCRIBER, 'port=0', `address=${address}`]);
  let output = '';
  let stats = null;
  const port = await new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('receiver did not start:\n' + output)), 20000);
    onLines(proc.stdout, (line) => {
      if (line.startsWith('STATS ')) { stats = JSON.parse(line.slice(6)); return; }
      output += line + '\n';
      const m = line.match(/^LISTENING (\d+)/);
      if (m) { clearTimeout(t); resolve(Number(m[1])); }
    });
    proc.stderr.on('data', (c) => { output += c; });
    proc.on('exit', (c) => reject(new Error(`receiver exited ${c}:\n${output}`)));
  });
  return { port, stats: () => stats, output: () => output, stop: stopper(proc) };
}

// Chromium's inbound video stats, every 200 ms, from a page with an
// RTCPeerConnection at @pcExpr.
export function pollVideoStats(page, pcExpr, out, direction = 'inbound-rtp') {
  let stop = false;
  const loop = (async () => {
    while (!stop) {
      const s = await page.evaluate(async ({ expr, dir }) => {
        // eslint-disable-next-line no-eval
        const pc = eval(expr);
        if (!pc) return null;
        const r = {};
        (await pc.getStats()).forEach((x) => {
          if (x.type === dir && x.kind === 'video') {
            r.frames = x.framesDecoded ?? x.framesEncoded ?? 0;
            r.bytes = x.bytesReceived ?? x.bytesSent ?? 0;
            r.freezes = x.freezeCount ?? 0;
            r.freezeSeconds = x.totalFreezesDuration ?? 0;
            r.width = x.frameWidth ?? 0;
            r.height = x.frameHeight ?? 0;
            r.target = x.targetBitrate ?? null;
          }
        });
        return r;
      }, { expr: pcExpr, dir: direction }).catch(() => null);
      if (s) out.push({ t: Date.now(), ...s });
      await new Promise((r) => setTimeout(r, 200));
    }
  })();
  return async () => { stop = true; await loop; };
}

// 10 s of the same picture as Y4M, for Chromium's fake camera (made once;
// also the room adaptation test's publisher: its fake camera's own picture
// compresses to ~200 kb/s, under any constrained link worth testing).
let snowFile = null;
export async function snowY4m() {
  if (snowFile) return snowFile;
  const file = join(tmpdir(), `rtc-cc-smpte-${WIDTH}x${HEIGHT}.y4m`);
  const proc = spawn('gst-launch-1.0', ['-q', 'videotestsrc', ...PATTERN, 'num-buffers=300', '!',
    `video/x-raw,format=I420,width=${WIDTH},height=${HEIGHT},framerate=30/1`, '!', 'y4menc', '!',
    'filesink', `location=${file}`], { stdio: 'ignore' });
  await new Promise((r) => proc.once('exit', r));
  snowFile = file;
  return file;
}

// One run: returns { samples (path, 200 ms), video (receiver or sender
// stats), flows }.
export async function runScenario(name, sender, { seed = 1, log = () => {} } = {}) {
  const scenario = SCENARIOS[name];
  const path = await startPath(scenario, seed);
  const stops = [];
  const video = [];
  let tcp = null;
  let browser = null;
  try {
    const pages = [];
    if (sender === 'ours') {
      browser = await launchChromium(path.chromiumIn(path.nsB));
      const pub = await startOurSender(path.nsA);
      stops.push(pub.stop);
      const flows = scenario.flows || 1;
      for (let i = 0; i < flows; i++) {
        if (i > 0) await new Promise((r) => setTimeout(r, (scenario.join || 0) * 1000));
        const page = await browser.context.newPage();
        await page.goto(`http://${A}:${pub.port}/view/live`);
        pages.push(page);
        const series = [];
        video.push(series);
        stops.push(pollVideoStats(page, 'window.rtcViewer && window.rtcViewer.pc', series));
      }
      log(`ours: sender on ${A}:${pub.port}, ${flows} viewer(s)`);
    } else {
      const sub = await startOurReceiver(path.nsB);
      stops.push(sub.stop);
      // The publish page needs a secure context for the camera; the fake
      // camera plays what our sender encodes (the same pattern and size), so both
      // senders can fill the link alike.
      browser = await launchChromium(path.chromiumIn(path.nsA), [
        `--unsafely-treat-insecure-origin-as-secure=http://${B}:${sub.port}`,
        `--use-file-for-fake-video-capture=${await snowY4m()}`,
      ]);
      const page = await browser.context.newPage();
      // Up to our sender's video-bitrate; its own adaptation otherwise.
      await page.goto(`http://${B}:${sub.port}/publish/live?maxBitrate=3000000`);
      await page.click('#start');
      pages.push(page);
      const series = [];
      video.push(series);
      stops.push(pollVideoStats(page, 'window.rtcPublisher && window.rtcPublisher.pc', series, 'outbound-rtp'));
      log(`chromium: publishing to ${B}:${sub.port}`);
    }
    if (scenario.tcp) {
      const sink = inNs(path.nsB, '/usr/bin/python3', [NETEM, 'tcp-sink', '5001']);
      stops.push(async () => sink.kill('SIGKILL'));
      setTimeout(() => {
        tcp = inNs(path.nsA, '/usr/bin/python3', [NETEM, 'tcp-source', B, '5001', String(scenario.tcp.seconds)]);
      }, scenario.tcp.start * 1000);
    }
    const start = path.started();
    await waitFor(() => Date.now() - start >= scenario.seconds * 1000, (scenario.seconds + 60) * 1000,
      'the scenario', 500);
  } finally {
    for (const s of stops.reverse()) await s().catch(() => {});
    if (tcp) tcp.kill('SIGKILL');
    if (browser) await browser.close();
    await path.stop();
  }
  return { name, sender, scenario, samples: path.samples.filter((s) => s.t <= scenario.seconds), video };
}

const quantile = (v, q) => {
  const s = v.filter((x) => x != null).sort((a, b) => a - b);
  if (!s.length) return null;
  return s[Math.min(s.length - 1, Math.floor(q * (s.length - 1)))];
};

// RFC 8868 metrics of a run (path direction A -> B).
export function metrics(run, { from = 5 } = {}) {
  const s = run.samples.filter((x) => x.t >= from);
  const cap = s.reduce((a, x) => a + x.ab.capacity, 0);
  const delivered = s.reduce((a, x) => a + x.ab.delivered, 0);
  const offered = s.reduce((a, x) => a + x.ab.offered, 0);
  const lostBytes = s.reduce((a, x) => a + x.ab.dropped + x.ab.lost, 0);
  const offeredBytes = offered * 0.2 / 8;
  const q = s.map((x) => x.ab.qdelay_p50);
  // Convergence after each capacity step: the 1 s mean send rate within
  // [0.8, 1.1] x capacity and staying there 2 s.
  const steps = run.scenario.schedule.slice(1).map(([t]) => t);
  const convergence = steps.map((t) => {
    const after = run.samples.filter((x) => x.t > t);
    for (let i = 0; i + 15 <= after.length; i++) {
      const ok = (j) => {
        const win = after.slice(j, j + 5);
        const rate = win.reduce((a, x) => a + x.ab.offered, 0) / win.length;
        const c = win[win.length - 1].ab.capacity;
        return rate >= 0.8 * c && rate <= 1.1 * c;
      };
      if ([0, 5, 10].every((k) => ok(i + k))) return Number((after[i].t - t).toFixed(1));
    }
    return null;
  });
  // Loss away from the transients: 4 s after each capacity decrease, a
  // queue sized for the old capacity overflows before any sender can react.
  const drops = run.scenario.schedule.filter(([, r], i, a) => i > 0 && r < a[i - 1][1]).map(([t]) => t);
  const steady = s.filter((x) => !drops.some((t) => x.t > t && x.t <= t + 4));
  const steadyLost = steady.reduce((a, x) => a + x.ab.dropped + x.ab.lost, 0);
  const steadyOffered = steady.reduce((a, x) => a + x.ab.offered, 0) * 0.2 / 8;
  const freezes = run.video.map((all) => {
    const v = all.filter((x) => x.freezes !== undefined);
    return v.length ? v[v.length - 1].freezes - v[0].freezes : null;
  });
  const frames = run.video.map((v) => (v.length ? v[v.length - 1].frames || 0 : 0));
  const media = s.reduce((a, x) => a + (x.ab.udp_delivered ?? x.ab.delivered), 0);
  return {
    utilisation: delivered / cap,
    mediaShare: media / cap,
    sendVsCapacity: offered / cap,
    qdelayP50: quantile(q, 0.5),
    qdelayP95: quantile(q, 0.95),
    loss: offeredBytes ? lostBytes / offeredBytes : 0,
    sustainedLoss: steadyOffered ? steadyLost / steadyOffered : 0,
    convergence,
    freezes,
    frames,
  };
}

// Mean send rate (bit/s) over [from, to) seconds.
export function sendRate(run, from, to) {
  const s = run.samples.filter((x) => x.t >= from && x.t < to);
  return s.length ? s.reduce((a, x) => a + x.ab.offered, 0) / s.length : 0;
}
