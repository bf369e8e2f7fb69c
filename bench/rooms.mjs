// Rooms of N headless Chromium participants (one browser process, one
// context each) in a webrtcroom hosted by gst-launch-1.0, for each N:
//  - join: participants come one after the other, each once the previous
//    one is fully in; for each: page navigation start -> every remote
//    track (video and audio of everyone already there) decoding, and ->
//    every one already there decoding its tracks ("seen by others");
//  - server: the gst-launch-1.0 process's CPU (/proc/<pid>/stat utime +
//    stime over a steady window), RSS and threads, per participant;
//  - glass-to-glass latency, browser -> room -> browser, over every
//    (sender, receiver) pair in the window (bench/rooms_page.js paints the
//    wall-clock time into each sender's canvas and reads it back at each
//    receiver's displayed frame);
//  - the reference, in the same run: a direct RTCPeerConnection from P1's
//    page to P2's (the same canvas track P1 sends to the room, the room's
//    video codec), measured at the same time as the room (window B): the
//    ratio is P1 -> P2 through the room / P1 -> P2 direct, same pages,
//    same frames, same load. A pair of fresh pages is also measured alone
//    before any room (the browser idle).
// Window A is the room alone (server figures, all pairs' latency). The
// machine's load is recorded with every window: loadavg, and CPU split
// into the room host, the browser, the bench's read-back and the rest.
//
//   node bench/rooms.mjs [--sizes 2,4,6] [--seconds 20] [--pair-seconds 15]
//                        [--settle 10] [--fps 24] [--room 'PROP=VALUE ...']
//                        [--json FILE] [--host-log DIR]
// --room: more webrtcroom properties (decode=false, congestion-control=none);
// --host-log keeps each host's output (set GST_DEBUG for more in it).
// Inside tests/netns-run.sh (bench/rooms.sh does all of it).
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startPublisher } from '../tests/browser/publisher.mjs';
import { onLines } from '../tests/browser/proc.mjs';
import { launchChromiumBrowser } from '../tests/browser/chromium.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const opt = { sizes: '2,4,6', seconds: 20, 'pair-seconds': 15, settle: 10, fps: 24, room: '', json: null, 'host-log': null };
for (let i = 2; i < process.argv.length; i += 2) {
  const k = process.argv[i].replace(/^--/, '');
  if (!(k in opt) || process.argv[i + 1] === undefined) {
    console.error('usage: node bench/rooms.mjs [--sizes 2,4,6] [--seconds 20] [--pair-seconds 15] [--settle 10] [--fps 24] [--room \'PROP=VALUE ...\'] [--json FILE] [--host-log DIR]');
    process.exit(2);
  }
  opt[k] = process.argv[i + 1];
}
const SIZES = String(opt.sizes).split(',').map(Number);
const WINDOW_S = Number(opt.seconds);
const PAIR_S = Number(opt['pair-seconds']);
const SETTLE_S = Number(opt.settle);
const FPS = Number(opt.fps);
const PAGE_JS = readFileSync(join(here, 'rooms_page.js'), 'utf8');
const TICK = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }));
const JOIN_TIMEOUT_MS = 90000;
// The host logs rtcgcc's estimate per feedback (a few lines a second per
// participant): how the room saw each participant's link.
process.env.GST_DEBUG = `${process.env.GST_DEBUG || '*:1'},rtcgcc:6`;
process.env.GST_DEBUG_NO_COLOR = '1';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
// @promise, or a rejection naming @what after @ms (a hung page or browser
// must not hold the run and its results).
const within = (promise, ms, what) => Promise.race([promise,
  new Promise((_, reject) => setTimeout(() => reject(new Error(`${what}: no answer in ${ms / 1000} s`)), ms).unref())]);
const pct = (values, p) => {
  const v = values.filter((x) => x != null && Number.isFinite(x)).sort((a, b) => a - b);
  if (!v.length) return null;
  const r = (p / 100) * (v.length - 1);
  return v[Math.floor(r)] + (v[Math.ceil(r)] - v[Math.floor(r)]) * (r - Math.floor(r));
};
const round = (x, d = 1) => (x == null ? null : Math.round(x * 10 ** d) / 10 ** d);

// ---- /proc ----

function procStat(pid) {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(')').pop().trim().split(' ');
    return { ppid: Number(f[1]), cpu: (Number(f[11]) + Number(f[12])) / TICK };
  } catch (e) {
    return null;
  }
}
function procStatus(pid, key) {
  try {
    const m = readFileSync(`/proc/${pid}/status`, 'utf8').match(new RegExp(`^${key}:\\s+(\\d+)`, 'm'));
    return m ? Number(m[1]) : null;
  } catch (e) {
    return null;
  }
}
// CPU seconds of every descendant of this node process except @exclude
// (that is the browser: Chromium and its helpers, and its zombies' time is
// lost, which is fine for a steady window).
function descendantsCpu(exclude) {
  const stats = new Map();
  for (const d of readdirSync('/proc')) if (/^\d+$/.test(d)) { const s = procStat(Number(d)); if (s) stats.set(Number(d), s); }
  const mine = new Set([process.pid]);
  let grew = true;
  while (grew) {
    grew = false;
    for (const [pid, s] of stats) if (!mine.has(pid) && mine.has(s.ppid) && pid !== exclude) { mine.add(pid); grew = true; }
  }
  mine.delete(process.pid);
  let sum = 0;
  for (const pid of mine) sum += stats.get(pid).cpu;
  return sum;
}
function machineCpu() {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0].split(/\s+/).slice(1).map(Number);
  const idle = f[3] + f[4];
  return { busy: (f.reduce((a, b) => a + b, 0) - idle) / TICK };
}
const loadavg = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).map(Number);
// UDP counters of this network namespace (every socket of the bench: the
// room's and Chromium's): datagrams dropped for a full receive buffer.
function udp() {
  const lines = readFileSync('/proc/net/snmp', 'utf8').split('\n').filter((l) => l.startsWith('Udp:'));
  const names = lines[0].split(/\s+/).slice(1);
  const values = lines[1].split(/\s+/).slice(1).map(Number);
  return Object.fromEntries(names.map((k, i) => [k, values[i]]));
}

// Samples of the machine over a window; stop() returns what was used.
function machineWindow(hostPid) {
  const t0 = performance.now();
  const m0 = machineCpu();
  const h0 = hostPid ? procStat(hostPid).cpu : 0;
  const b0 = descendantsCpu(hostPid);
  const n0 = process.cpuUsage();
  const load0 = loadavg();
  const udp0 = udp();
  return () => {
    const udp1 = udp();
    const s = (performance.now() - t0) / 1000;
    const n1 = process.cpuUsage(n0);
    const host = hostPid ? (procStat(hostPid).cpu - h0) / s : 0;
    const browser = (descendantsCpu(hostPid) - b0) / s;
    const bench = (n1.user + n1.system) / 1e6 / s;
    const machine = (machineCpu().busy - m0.busy) / s;
    return {
      seconds: round(s, 2), loadavg: [load0, loadavg()],
      udp: { datagrams: udp1.InDatagrams - udp0.InDatagrams, receive_buffer_drops: udp1.RcvbufErrors - udp0.RcvbufErrors },
      cores: { machine: round(machine, 2), host: round(host, 3), browser: round(browser, 2), bench: round(bench, 2),
        others: round(Math.max(0, machine - host - browser - bench), 2), available: cpus().length },
    };
  };
}

// ---- pages ----

// A context and its page; @init: bench/rooms_page.js in every document (the
// room pages), else the caller evaluates it once (the pair's blank pages).
async function newPage(browser, label, init = true) {
  const context = await browser.newContext();
  const script = `window.__benchConfig = ${JSON.stringify({ fps: FPS, label })};\n${PAGE_JS}`;
  if (init) await context.addInitScript({ content: script });
  const page = await context.newPage();
  if (!init) await page.evaluate(script);
  page.on('pageerror', (e) => console.error(`[${label}] page error: ${e.message}`));
  return { context, page, label };
}

const readAll = (pages) => Promise.all(pages.map((p) => p.page.evaluate(() => window.__bench.stopReading())));
const snapAll = (pages, pair = false) => Promise.all(pages.map((p) => p.page.evaluate((x) => window.__bench.snapshot(x), pair)));

// Latency figures over receivers' read-back results: one key (@only), or
// every key but the direct pair's. Frames narrower than the 640 sent came
// through the room's low layer (decoded, scaled, encoded again in the host)
// or from a sender that scaled down (Chromium's CPU adaptation).
function latency(results, only = null) {
  const use = (key) => (only ? key === only : key !== 'direct');
  const all = [];
  let frames = 0;
  let bad = 0;
  const perPair = [];
  for (const r of results) {
    for (const [key, list] of Object.entries(r.samples)) {
      if (!use(key)) continue;
      all.push(...list);
      perPair.push(pct(list.map((x) => x[0]), 50));
    }
    for (const [key, n] of Object.entries(r.frames)) if (use(key)) frames += n;
    for (const [key, n] of Object.entries(r.bad)) if (use(key)) bad += n;
  }
  const g2g = all.map((x) => x[0]);
  const net = all.map((x) => x[1]).filter((x) => x != null);
  const full = all.filter((x) => x[2] >= 640).map((x) => x[0]);
  const rest = pct(g2g, 50) != null && pct(net, 50) != null ? pct(g2g, 50) - pct(net, 50) : null;
  return {
    samples: g2g.length, frames, unreadable: bad, p50: round(pct(g2g, 50)), p95: round(pct(g2g, 95)),
    max: round(pct(g2g, 100)), capture_to_received_p50: round(pct(net, 50)), received_to_display_p50: round(rest),
    full_size_share: g2g.length ? round(full.length / g2g.length, 3) : null, full_size_p50: round(pct(full, 50)),
    scaled_p50: round(pct(all.filter((x) => x[2] < 640).map((x) => x[0]), 50)),
    worst_pair_p50: round(Math.max(...perPair.filter((x) => x != null), -Infinity)), pairs: perPair.length,
  };
}

// What the receivers and senders did between two snapshot sets.
function traffic(before, after) {
  const seconds = after.length ? (after[0].at - before[0].at) / 1000 : 1;
  let inBytes = 0;
  let outBytes = 0;
  const fps = [];
  const widths = {};
  const targets = [];
  const available = [];
  const limits = {};
  let freezes = 0;
  let freezeTime = 0;
  let jbDelay = 0;
  let jbEmitted = 0;
  let lost = 0;
  let packets = 0;
  let codec = null;
  for (let i = 0; i < after.length; i++) {
    const dt = (after[i].at - before[i].at) / 1000;
    const prev = (list, x) => list.find((y) => y.key === x.key && y.kind === x.kind) || { bytes: 0, frames: 0, freezes: 0, freezeTime: 0, jbDelay: 0, jbEmitted: 0, lost: 0, packets: 0 };
    for (const x of after[i].inbound) {
      const p = prev(before[i].inbound, x);
      inBytes += x.bytes - p.bytes;
      lost += x.lost - p.lost;
      packets += x.packets - p.packets;
      if (x.kind !== 'video') continue;
      codec = codec || x.codec;
      fps.push((x.frames - p.frames) / dt);
      freezes += x.freezes - p.freezes;
      freezeTime += x.freezeTime - p.freezeTime;
      jbDelay += x.jbDelay - p.jbDelay;
      jbEmitted += x.jbEmitted - p.jbEmitted;
    }
    if (after[i].available && after[i].outbound.some((x) => x.kind === 'video')) available.push(after[i].available);
    for (const x of after[i].outbound) {
      const p = before[i].outbound.find((y) => y.kind === x.kind) || { bytes: 0 };
      outBytes += x.bytes - p.bytes;
      if (x.kind !== 'video') continue;
      targets.push(x.target);
      widths[`${x.width}x${x.height}`] = (widths[`${x.width}x${x.height}`] || 0) + 1;
      limits[x.limit] = (limits[x.limit] || 0) + 1;
    }
  }
  return {
    video_codec: codec, received_mbps: round((inBytes * 8) / 1e6 / seconds, 2), sent_mbps: round((outBytes * 8) / 1e6 / seconds, 2),
    decoded_fps_p50: round(pct(fps, 50)), decoded_fps_min: round(pct(fps, 0)), freezes, freeze_seconds: round(freezeTime, 2),
    jitter_buffer_ms: jbEmitted ? round((jbDelay / jbEmitted) * 1000) : null,
    loss_percent: packets + lost > 0 ? round((100 * lost) / (packets + lost), 2) : 0,
    sent_sizes: widths, quality_limitation: limits,
    video_target_kbps_p50: round(pct(targets, 50) / 1000), available_outgoing_kbps_p50: round(pct(available, 50) / 1000),
  };
}

// A direct pair, signalled through here: between two room participants'
// pages (@tx sends the same canvas track it sends to the room, @rx decodes
// it beside the room's tracks: both ends as loaded as in the room), or
// between two new blank pages (the idle reference).
async function startPair(browser, mime, tx = null, rx = null) {
  const own = !tx;
  if (own) {
    tx = await newPage(browser, 'direct', false);
    rx = await newPage(browser, 'direct-rx', false);
  }
  const offer = await tx.page.evaluate((m) => window.__bench.pairOffer(m), mime);
  const answer = await rx.page.evaluate((sdp) => window.__bench.pairAnswer(sdp), offer);
  await tx.page.evaluate((sdp) => window.__bench.pairFinish(sdp), answer);
  const end = Date.now() + 30000;
  while (!(await rx.page.evaluate(() => window.__bench.pairDecoding()))) {
    if (Date.now() > end) throw new Error('the direct pair does not decode');
    await sleep(200);
  }
  return {
    tx, rx, matched: own ? null : tx.id,
    close: async () => {
      if (own) {
        await tx.context.close();
        await rx.context.close();
      } else {
        for (const p of [tx, rx]) await p.page.evaluate(() => window.__bench.pairClose());
      }
    },
  };
}

// The room's pages and the pair, if any, over @seconds.
async function measureWindow(roomPages, pair, hostPid, seconds) {
  const pages = [...new Set([...roomPages, ...(pair ? [pair.tx, pair.rx] : [])])];
  const room0 = await snapAll(roomPages);
  const pair0 = pair ? await snapAll([pair.tx, pair.rx], true) : null;
  await Promise.all(pages.map((p) => p.page.evaluate(() => window.__bench.startReading())));
  const stop = machineWindow(hostPid);
  const wall = [Date.now()];
  const rss = [];
  const end = Date.now() + seconds * 1000;
  while (Date.now() < end) {
    await sleep(1000);
    if (hostPid) rss.push(procStatus(hostPid, 'VmRSS'));
  }
  const machine = stop();
  wall.push(Date.now());
  const all = await readAll(pages);
  // The bench's own cost in the pages: reading the codes back.
  machine.cores.readback = round(all.reduce((sum, r) => sum + r.cost, 0) / 1000 / machine.seconds, 3);
  const reads = new Map(all.map((r, i) => [pages[i], r]));
  const room1 = await snapAll(roomPages);
  const pair1 = pair ? await snapAll([pair.tx, pair.rx], true) : null;
  return {
    machine, wall,
    host: hostPid ? { rss_mb: round(rss[rss.length - 1] / 1024), rss_max_mb: round(Math.max(...rss) / 1024),
      threads: procStatus(hostPid, 'Threads') } : null,
    room: roomPages.length ? { latency: latency(roomPages.map((p) => reads.get(p))), traffic: traffic(room0, room1) } : null,
    // The pair's sender to its receiver through the room (same pages, same frames).
    matched: pair && pair.matched ? { from: pair.tx.label, to: pair.rx.label, latency: latency([reads.get(pair.rx)], pair.matched) } : null,
    direct: pair ? { latency: latency([reads.get(pair.rx)], 'direct'), traffic: traffic(pair0, pair1) } : null,
  };
}

// ---- one room ----

// The host's webrtcroom-layer-changed messages (gst-launch-1.0 -m), the
// per-participant GCC estimates (rtcgcc's LOG line per feedback), and its
// warnings and errors, with the time they came.
function watchHost(proc, t0) {
  const events = [];
  const warnings = [];
  const estimates = [];
  const onLine = (line) => {
    if (/^(WARNING|ERROR)/.test(line)) warnings.push({ at: Date.now() - t0, line: line.slice(0, 300) });
    const e = line.includes('on_feedback:<rtcgcc') && line.match(/<(rtcgcc\d+)>\s*estimate (\d+)/);
    if (e) estimates.push({ at: Date.now(), gcc: e[1], bps: Number(e[2]) });
    if (!line.includes('webrtcroom-layer-changed')) return;
    const field = (k) => (line.match(new RegExp(`\\b${k}=\\([a-z]+\\)"?([^,";]+)`)) || [])[1];
    events.push({ at: Date.now(), participant: field('participant'), track: field('track'), layer: field('layer'),
      estimate: Number(field('estimate')) });
  };
  onLines(proc.stdout, onLine);
  onLines(proc.stderr, onLine);
  return { events, warnings, estimates };
}

// The room's estimates of its participants' links during @w (Mb/s): the
// median over participants of each one's median, and the lowest seen.
function estimatesIn(estimates, w) {
  const by = new Map();
  for (const e of estimates) {
    if (e.at < w.wall[0] || e.at > w.wall[1]) continue;
    if (!by.has(e.gcc)) by.set(e.gcc, []);
    by.get(e.gcc).push(e.bps / 1e6);
  }
  const medians = [...by.values()].map((v) => pct(v, 50));
  return { participants: by.size, p50_mbps: round(pct(medians, 50), 2),
    min_mbps: round(Math.min(...[...by.values()].flat(), Infinity), 2) };
}

// Forwarded lines on the low layer at the start and end of @w, switches in it.
function layersIn(events, w) {
  const low = (t) => {
    const state = new Map();
    for (const e of events) if (e.at <= t) state.set(`${e.participant} ${e.track}`, e.layer);
    return [...state.values()].filter((l) => l === 'low').length;
  };
  return { low_at_start: low(w.wall[0]), low_at_end: low(w.wall[1]),
    switches: events.filter((e) => e.at >= w.wall[0] && e.at <= w.wall[1]).length };
}

async function joinOne(browser, base, roomName, participants, i) {
  const p = await newPage(browser, `P${i}`);
  await p.page.goto(`${base}/room/${roomName}?name=P${i}`);
  await p.page.click('#join');
  const state = () => p.page.evaluate(() => window.__bench.joinState());
  const end = Date.now() + JOIN_TIMEOUT_MS;
  let me = await state();
  const need = (firsts, id) => ['video', 'audio'].every((k) => firsts[`${id}/${k}`]);
  for (;;) {
    me = await state();
    const others = await Promise.all(participants.map((q) => q.page.evaluate(() => window.__bench.joinState())));
    const inMine = me.id && participants.every((q) => need(me.firsts, q.id));
    const inTheirs = me.id && others.every((o) => need(o.firsts, me.id));
    if (inMine && inTheirs) {
      const last = (firsts, ids) => Math.max(...ids.flatMap((id) => ['video', 'audio'].map((k) => firsts[`${id}/${k}`])));
      p.id = me.id;
      p.join = {
        welcome_ms: round(me.joinedAt - me.origin),
        all_decoding_ms: participants.length ? round(last(me.firsts, participants.map((q) => q.id)) - me.origin) : null,
        seen_by_others_ms: participants.length ? round(Math.max(...others.map((o) => last(o.firsts, [me.id]))) - me.origin) : null,
      };
      return p;
    }
    if (Date.now() > end) {
      const page = await p.page.evaluate(() => window.roomTest.state()).catch(() => ({}));
      const diag = { state: page.state, errors: page.errors, me: me.firsts,
        others: others.map((o) => ({ id: o.id, firsts: o.firsts })) };
      participants.push(p); // closed with the others
      throw new Error(`P${i} (${me.id}, ${me.state}) not fully in after ${JOIN_TIMEOUT_MS / 1000} s: ${JSON.stringify(diag)}`);
    }
    await sleep(100);
  }
}

async function runRoom(browser, n) {
  const roomName = `bench${n}`;
  const args = ['webrtcroom', 'name=room', 'port=0', `room-name=${roomName}`, 'allowed-origins=*'];
  args.push(...String(opt.room).split(/\s+/).filter(Boolean));
  const t0 = Date.now();
  const host = await startPublisher(args);
  const watched = watchHost(host.proc, t0);
  const layerEvents = watched.events;
  const pid = host.proc.pid;
  const base = `http://127.0.0.1:${host.port}`;
  const participants = [];
  const result = { n, host: { pid } };
  const mark = (what) => { (result.timeline = result.timeline || {})[what] = Date.now() - t0; };
  let pair = null;
  try {
    await sleep(1000);
    result.host.idle_rss_mb = round(procStatus(pid, 'VmRSS') / 1024);
    result.host.idle_threads = procStatus(pid, 'Threads');
    const joinLoad = loadavg();
    result.join = [];
    for (let i = 1; i <= n; i++) {
      const p = await joinOne(browser, base, roomName, participants, i);
      participants.push(p);
      if (i > 1) result.join.push({ participant: p.label, ...p.join });
    }
    mark('joined');
    result.join_loadavg = [joinLoad, loadavg()];
    await sleep(SETTLE_S * 1000); // the senders' bandwidth estimates ramp up
    mark('window_a');
    result.window_a = await measureWindow(participants, null, pid, WINDOW_S);
    const mime = result.window_a.room.traffic.video_codec;
    pair = await startPair(browser, mime, participants[0], participants[1]);
    await sleep(Math.min(SETTLE_S, 5) * 1000);
    mark('window_b');
    result.window_b = await measureWindow(participants, pair, pid, PAIR_S);
  } catch (e) {
    result.error = e.message;
    console.error(`N=${n}: ${e.message}`);
  } finally {
    mark('teardown');
    const note = (e) => (result.teardown_problems = result.teardown_problems || []).push(e.message);
    if (pair) await within(pair.close(), 10000, 'closing the direct pair').catch(note);
    for (const p of participants) await within(p.page.evaluate(() => window.roomTest.leave()), 10000, `${p.label} leaving`).catch(note);
    await sleep(1000);
    for (const p of participants) await within(p.context.close(), 20000, `closing ${p.label}`).catch(note);
    await sleep(500);
    const stopping = Date.now();
    result.host.exit_code = await host.stop();
    // SIGINT, and SIGKILL if it did not end within 10 s (tests/browser/proc.mjs).
    result.host.stop_ms = Date.now() - stopping;
    result.host.exit_signal = host.proc.signalCode;
    result.host.layer_events = layerEvents.map((e) => ({ ...e, at: e.at - t0 }));
    result.host.low_layer_switches = layerEvents.filter((e) => e.layer === 'low').length;
    for (const w of ['window_a', 'window_b']) {
      if (!result[w]) continue;
      result[w].layers = layersIn(layerEvents, result[w]);
      result[w].estimates = estimatesIn(watched.estimates, result[w]);
    }
    result.host.warnings = watched.warnings.slice(0, 20);
    if (opt['host-log']) {
      mkdirSync(opt['host-log'], { recursive: true });
      writeFileSync(join(opt['host-log'], `host-${n}.log`), host.output());
    }
    result.host.warnings_before_teardown = watched.warnings.filter((w) => w.at < result.timeline.teardown).length;
  }
  return result;
}

// ---- report ----

const f = (x, d = 0) => (x == null ? '–' : Number(x).toFixed(d));
const med = (list, key) => pct(list.map((x) => x[key]), 50);
const max = (list, key) => pct(list.map((x) => x[key]), 100);

function table(summary) {
  const lines = [];
  const row = (cells, widths) => lines.push(cells.map((c, i) => String(c).padStart(widths[i])).join(' '));
  lines.push('', `rooms: ${FPS} fps 640x360 canvas + tone per participant, video codec ${summary.rooms[0]?.window_a?.room?.traffic?.video_codec || '?'}; ` +
    `windows A ${WINDOW_S} s (room alone) and B ${PAIR_S} s (room + direct pair); host: webrtcroom ${opt.room || 'with its defaults'}`);
  lines.push('', 'join (ms from page navigation start; participants 2..N, joining one after the other)');
  let w = [3, 14, 14, 18, 14];
  row(['N', 'welcome p50', 'decodes all p50', 'decodes all max', 'seen by all max'], w);
  for (const r of summary.rooms) {
    if (r.error) { row([r.n, 'failed', `(${r.join ? r.join.length + 1 : 0} of ${r.n} in)`, '', ''], w); continue; }
    row([r.n, f(med(r.join, 'welcome_ms')), f(med(r.join, 'all_decoding_ms')), f(max(r.join, 'all_decoding_ms')), f(max(r.join, 'seen_by_others_ms'))], w);
  }
  lines.push('', 'server (gst-launch-1.0 hosting the room), window A',
    '  (low lines: forwarded videos on the low layer the host transcodes, at window start -> end;',
    '   est.: the room\'s GCC estimate of each participant\'s downlink in Mb/s, median of medians / lowest)');
  w = [3, 9, 11, 7, 9, 15, 8, 9, 10, 14];
  row(['N', 'CPU ms/s', 'ms/s per P', 'RSS MB', 'MB per P', 'ΔRSS/P vs idle', 'threads', 'out Mb/s', 'low lines', 'est. p50/min'], w);
  for (const r of summary.rooms) {
    const a = r.window_a;
    if (!a) continue;
    const ms = a.machine.cores.host * 1000;
    row([r.n, f(ms), f(ms / r.n, 1), f(a.host.rss_mb, 1), f(a.host.rss_mb / r.n, 1),
      f((a.host.rss_mb - r.host.idle_rss_mb) / r.n, 1), a.host.threads, f(a.room.traffic.received_mbps, 1),
      a.layers ? `${a.layers.low_at_start}->${a.layers.low_at_end}` : '–',
      a.estimates ? `${f(a.estimates.p50_mbps, 1)}/${f(a.estimates.min_mbps, 2)}` : '–'], w);
  }
  for (const r of summary.rooms) {
    if (r.host?.exit_signal) lines.push(`  N=${r.n}: the host did not stop within 10 s of SIGINT (${r.host.exit_signal} after ${r.host.stop_ms} ms)`);
    if (r.teardown_problems) lines.push(`  N=${r.n}: teardown: ${r.teardown_problems.join('; ')}`);
  }
  const pp = (x) => (x ? `${f(x.p50)}/${f(x.p95)}` : '–');
  const split = (x) => (x ? `${f(x.capture_to_received_p50)}+${f(x.received_to_display_p50)}` : '–');
  lines.push('', 'glass-to-glass latency (ms), window A: every sender -> every receiver through the room',
    '  (split: capture -> last packet received + received -> displayed; scaled: frames received under 640 wide)');
  w = [3, 13, 11, 12, 8, 12, 10];
  row(['N', 'p50/p95', 'worst p50', 'split p50', 'scaled', 'fps min/p50', 'frozen'], w);
  for (const r of summary.rooms) {
    const a = r.window_a?.room;
    if (!a) continue;
    const streams = r.n * (r.n - 1);
    row([r.n, pp(a.latency), f(a.latency.worst_pair_p50), split(a.latency),
      a.latency.full_size_share == null ? '–' : `${f(100 * (1 - a.latency.full_size_share))}%`,
      `${f(a.traffic.decoded_fps_min)}/${f(a.traffic.decoded_fps_p50)}`,
      `${f((100 * a.traffic.freeze_seconds) / (streams * r.window_a.machine.seconds))}%`], w);
  }
  const idle = summary.direct_idle?.direct?.latency;
  lines.push('', 'window B: P1 -> P2 through the room vs P1 -> P2 direct (same pages, same frames, same time)',
    `  (direct pair alone before the rooms, new pages: ${pp(idle)})`);
  w = [3, 14, 14, 7, 8, 13, 13, 14];
  row(['N', 'room p50/p95', 'direct', 'ratio', 'p95 r.', 'room split', 'direct split', 'all pairs B'], w);
  for (const r of summary.rooms) {
    const b = r.window_b;
    if (!b) continue;
    row([r.n, pp(b.matched?.latency), pp(b.direct?.latency), r.ratio_p50 == null ? '–' : f(r.ratio_p50, 2),
      r.ratio_p95 == null ? '–' : f(r.ratio_p95, 2), split(b.matched?.latency), split(b.direct?.latency),
      pp(b.room?.latency)], w);
  }
  lines.push('', 'load during the windows (cores busy: the machine, the room host, Chromium (of which the',
    '  bench\'s read-back), everything else; loadavg 1-min at start -> end; tx: senders\' video target)');
  w = [3, 4, 8, 6, 8, 9, 7, 14, 8, 9, 8, 22];
  row(['N', 'win', 'machine', 'host', 'browser', 'read-back', 'others', 'loadavg', 'freezes', 'UDP drops', 'tx kb/s', 'sent sizes (limit)'], w);
  const loadRow = (n, name, x, t) => row([n, name, f(x.machine.cores.machine, 2), f(x.machine.cores.host, 2),
    f(x.machine.cores.browser, 2), f(x.machine.cores.readback, 3), f(x.machine.cores.others, 2),
    `${f(x.machine.loadavg[0][0], 1)} -> ${f(x.machine.loadavg[1][0], 1)}`, t ? t.freezes : '–',
    x.machine.udp.receive_buffer_drops,
    t ? f(t.video_target_kbps_p50) : '–',
    t ? Object.entries(t.sent_sizes).map(([k, v]) => `${k}×${v}`).join(' ') + ` (${Object.keys(t.quality_limitation).join(',')})` : ''], w);
  if (summary.direct_idle) loadRow('-', 'pair', summary.direct_idle, summary.direct_idle.direct.traffic);
  for (const r of summary.rooms) {
    if (r.window_a) loadRow(r.n, 'A', r.window_a, r.window_a.room.traffic);
    if (r.window_b) loadRow(r.n, 'B', r.window_b, r.window_b.room.traffic);
  }
  return lines.join('\n');
}

const summary = {
  date: new Date().toISOString(), cores: cpus().length, cpu: cpus()[0]?.model,
  chromium: execFileSync('/usr/bin/chromium', ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim(),
  gstreamer: execFileSync('gst-launch-1.0', ['--version'], { encoding: 'utf8' }).split('\n')[1],
  options: { sizes: SIZES, seconds: WINDOW_S, pair_seconds: PAIR_S, settle: SETTLE_S, fps: FPS, room: opt.room },
  loadavg_start: loadavg(), direct_idle: null, rooms: [],
};
const browser = await launchChromiumBrowser();
try {
  console.log(`${summary.date}: ${summary.cores} cores, loadavg ${summary.loadavg_start.join(' ')}; ${summary.chromium}; ${summary.gstreamer}`);
  const pair = await startPair(browser, 'video/VP8');
  await sleep(SETTLE_S * 1000);
  summary.direct_idle = await measureWindow([], pair, null, PAIR_S);
  await pair.close();
  console.log(`direct pair alone: p50 ${summary.direct_idle.direct.latency.p50} ms, p95 ${summary.direct_idle.direct.latency.p95} ms`);
  for (const n of SIZES) {
    let r;
    try {
      r = await runRoom(browser, n);
    } catch (e) {
      r = { n, error: e.message, host: { warnings: [] } };
      console.error(`N=${n}: ${e.stack}`);
    }
    const m = r.window_b?.matched?.latency;
    const a = r.window_b?.room?.latency;
    const d = r.window_b?.direct?.latency;
    if (m && d && m.p50 != null && d.p50) {
      r.ratio_p50 = round(m.p50 / d.p50, 2);
      r.ratio_p95 = round(m.p95 / d.p95, 2);
      r.ratio_all_pairs_p50 = round(a.p50 / d.p50, 2);
    }
    summary.rooms.push(r);
    console.log(`N=${n}: ${r.error ? `failed (host warnings: ${JSON.stringify(r.host.warnings)})` : `room p50 ${r.window_a.room.latency.p50} ms, host ${round(r.window_a.machine.cores.host * 1000)} ms/s, ratio ${r.ratio_p50}`}`);
  }
} finally {
  summary.loadavg_end = loadavg();
  const jsonPath = opt.json || join(here, 'out', `rooms-${summary.date.replace(/[:.]/g, '-')}.json`);
  mkdirSync(dirname(jsonPath), { recursive: true });
  writeFileSync(jsonPath, JSON.stringify(summary, null, 1));
  console.log(table(summary));
  console.log(`\nloadavg ${summary.loadavg_start.join(' ')} at the start, ${summary.loadavg_end.join(' ')} at the end; JSON: ${jsonPath}`);
  await within(browser.close(), 30000, 'closing Chromium').catch((e) => {
    console.error(e.message);
    process.exit(1);
  });
}
