// Congestion control over the emulated path (tests/netem), RFC 8867
// scenarios, our sender and the anchor in the same run:
//   ours:     webrtcpublish (its GCC, the encoding ladder) -> Chromium viewer
//   chromium: Chromium's publish page (its own GCC) -> webrtcsubscribe
// both sending the same picture (SMPTE bars scrolling, 640x480@30) over the
// same path (50 ms one way, 300 ms drop-tail queue). Prints the RFC 8868
// metrics side by side with the ratios, writes each run's samples as JSON
// and a PNG plot of send rate and capacity over time (bench/out/).
//   node bench/cc.mjs [scenario...]   (inside tests/netns-run.sh; CC_SENDERS=ours: ours alone)
//   scenarios: variable (§5.1, 100 s), tcp (§5.6), fairness, variable-short
import { mkdirSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { runScenario, metrics } from '../tests/netem/ccrun.mjs';

const OUT = fileURLToPath(new URL('out/', import.meta.url));
const PLOT = fileURLToPath(new URL('cc_plot.py', import.meta.url));
const scenarios = process.argv.slice(2).length ? process.argv.slice(2) : ['variable', 'tcp', 'fairness'];
mkdirSync(OUT, { recursive: true });

const f = (x, d = 2) => (x == null || Number.isNaN(x) ? '–' : Number(x).toFixed(d));
const ratio = (a, b) => (a == null || b == null || !b ? '–' : (a / b).toFixed(2));

for (const name of scenarios) {
  const runs = {};
  for (const sender of (process.env.CC_SENDERS || 'ours,chromium').split(',')) {
    if (name === 'fairness' && sender === 'chromium') continue; // one publish page = one flow
    process.stdout.write(`${name}: ${sender}... `);
    const run = await runScenario(name, sender);
    runs[sender] = { run, m: metrics(run) };
    const file = `${OUT}${name}-${sender}.json`;
    writeFileSync(file, JSON.stringify(run));
    const png = `${OUT}${name}-${sender}.png`;
    const p = spawnSync('/usr/bin/python3', [PLOT, file, png], { encoding: 'utf8' });
    console.log(p.status === 0 ? `plot ${png}` : `no plot: ${p.stderr.trim().split('\n').pop()}`);
  }
  console.log(`\n${name} (${runs.ours.run.scenario.seconds} s, capacity ${runs.ours.run.scenario.schedule
    .map(([t, r]) => `${r / 1e6} Mb/s@${t}s`).join(' → ')}):`);
  console.log('metric                       ours      chromium   ours/chromium');
  const row = (label, a, b, d = 2) => console.log(`${label.padEnd(28)} ${f(a, d).padStart(8)}  ${f(b, d).padStart(9)}   ${ratio(a, b)}`);
  const o = runs.ours.m;
  const c = runs.chromium ? runs.chromium.m : {};
  row('utilisation', o.utilisation, c.utilisation);
  row('send rate / capacity', o.sendVsCapacity, c.sendVsCapacity);
  if (name === 'tcp') row('media share of capacity', o.mediaShare, c.mediaShare);
  row('queuing delay p50 (ms)', o.qdelayP50, c.qdelayP50, 1);
  row('queuing delay p95 (ms)', o.qdelayP95, c.qdelayP95, 1);
  row('loss', o.loss, c.loss, 4);
  row('loss outside drops', o.sustainedLoss, c.sustainedLoss, 4);
  (o.convergence || []).forEach((v, i) => row(`convergence step ${i + 1} (s)`, v, c.convergence ? c.convergence[i] : null, 1));
  row('receiver freezes', o.freezes[0], c.freezes ? c.freezes[0] : null, 0);
  if (name === 'fairness' && runs.ours.run.video.length > 1) {
    const share = runs.ours.run.video.map((v) => {
      const a = v.find((s) => s.t >= v[v.length - 1].t - 20000);
      const b = v[v.length - 1];
      return a && b && b.bytes !== undefined ? (b.bytes - a.bytes) * 8 / ((b.t - a.t) / 1000) : null;
    });
    console.log(`flows' rates over the last 20 s (kbit/s): ${share.map((x) => f(x / 1000, 0)).join(', ')}`);
  }
  console.log();
}
