// Congestion control through the emulated path (tests/netem): webrtcpublish
// in one network namespace, headless Chromium viewers in another behind a
// bottleneck (50 ms one-way delay, 300 ms drop-tail queue).
//  - A shortened RFC 8867 §5.1 run (1 -> 2.5 -> 0.6 -> 1 Mb/s in 55 s): the
//    send rate follows the drop within a few seconds and goes back up with
//    the rises, sustained loss stays low, the viewer keeps decoding.
//  - Two viewers, one behind a 0.5 Mb/s link and one not: the free one
//    keeps the full picture and rate, the constrained one moves down the
//    encoding ladder, and the publisher runs two video encoders, not one per
//    viewer. Runs inside tests/netns-run.sh (see tests/meson.build).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { launchChromium } from './chromium.mjs';
import { waitFor } from './proc.mjs';
import { runScenario, metrics, sendRate, startPath, startOurSender, pollVideoStats, A } from '../netem/ccrun.mjs';

// Frames decoded in each @window-second slice of @series.
function framesPer(all, window) {
  const out = [];
  const series = all.filter((s) => s.frames !== undefined);
  const t0 = series[0].t;
  for (let from = 0; ; from += window) {
    const a = series.find((s) => s.t - t0 >= from * 1000);
    const b = series.find((s) => s.t - t0 >= (from + window) * 1000);
    if (!a || !b) break;
    out.push(b.frames - a.frames);
  }
  return out;
}

test('the send rate follows a variable capacity; little loss; the viewer keeps decoding', { timeout: 240000 }, async () => {
  const run = await runScenario('variable-short', 'ours');
  const m = metrics(run);
  const rate = (a, b) => Math.round(sendRate(run, a, b) / 1000);
  console.log('metrics', JSON.stringify(m));
  console.log('send rate kbit/s: 10-15', rate(10, 15), '20-25', rate(20, 25), '27-30', rate(27, 30),
    '30-35', rate(30, 35), '40-45', rate(40, 45), '45-55', rate(45, 55));
  // 2.5 -> 0.6 Mb/s at 25 s: within 3 s the sender is near the new capacity.
  assert.ok(sendRate(run, 28, 31) <= 1.25 * 0.6e6, `after the drop ${rate(28, 31)} kbit/s`);
  // The rises: 1 -> 2.5 at 15 s and 0.6 -> 1 at 35 s. Close to the last
  // decrease GCC adds about a packet per response time, and on a loaded
  // machine (late feedback reads as queuing) that takes longer: judge the
  // second rise over the 10-20 s after it.
  assert.ok(sendRate(run, 20, 25) >= 1.15 * sendRate(run, 10, 15),
    `no rise after 15 s: ${rate(10, 15)} -> ${rate(20, 25)} kbit/s`);
  assert.ok(sendRate(run, 45, 55) >= 1.2 * sendRate(run, 30, 35),
    `no rise after 35 s: ${rate(30, 35)} -> ${rate(45, 55)} kbit/s`);
  // At least half of the first 1 Mb/s once start-up is over.
  assert.ok(sendRate(run, 10, 15) >= 0.5e6, `1 Mb/s used ${rate(10, 15)} kbit/s`);
  // Sustained loss (away from the 4 s after a capacity drop) stays low.
  assert.ok(m.sustainedLoss < 0.01, `sustained loss ${m.sustainedLoss}`);
  assert.ok(m.loss < 0.08, `loss ${m.loss}`);
  // Decoding all along: every 5 s slice has frames.
  const slices = framesPer(run.video[0], 5);
  console.log('frames per 5 s', slices.join(' '));
  assert.ok(slices.length >= 9, 'too few stats');
  for (const n of slices) assert.ok(n >= 40, `a 5 s slice with ${n} frames`);
});

test('a viewer on a poor link does not degrade another; two rungs, two encoders', { timeout: 240000 }, async () => {
  const path = await startPath({ schedule: [[0, 0.5e6]] });
  const pub = await startOurSender(path.nsA, ['video-bitrate=2500000']);
  const poor = await launchChromium(path.chromiumIn(path.nsB));
  const good = await launchChromium(path.chromiumIn(path.nsA)); // beside the sender
  const stats = { poor: [], good: [] };
  const stops = [];
  try {
    for (const [which, browser] of [['poor', poor], ['good', good]]) {
      const page = await browser.context.newPage();
      await page.goto(`http://${A}:${pub.port}/view/live`);
      stops.push(pollVideoStats(page, 'window.rtcViewer && window.rtcViewer.pc', stats[which]));
    }
    await new Promise((r) => setTimeout(r, 30000));
    // The last 5 s of each.
    const last = (series) => {
      const end = series[series.length - 1];
      const start = series.find((s) => s.t >= end.t - 5000);
      return { kbps: (end.bytes - start.bytes) * 8 / (end.t - start.t), width: end.width, height: end.height,
               frames: end.frames - start.frames };
    };
    const g = last(stats.good);
    const p = last(stats.poor);
    console.log('good', JSON.stringify(g), 'poor', JSON.stringify(p));
    assert.equal(g.width, 640);
    assert.equal(g.height, 480);
    assert.ok(g.kbps >= 1500, `the free viewer gets ${g.kbps} kbit/s`);
    assert.ok(p.kbps <= 600, `the constrained viewer gets ${p.kbps} kbit/s`);
    assert.ok(p.width < 640, 'the constrained viewer is on a lower rung');
    assert.ok(g.frames >= 100 && p.frames >= 50, 'both keep decoding');
    // Encoders now: one per rung in use (plus audio), not one per viewer.
    const video = new Map();
    for (const m of pub.output().matchAll(/webrtcpublish-encoder, action=\(string\)(\w+), input=\(string\)(\w+), codec=\(string\)(\w+), rung=\(int\)(\d+)/g)) {
      const key = `${m[2]}/${m[3]}/${m[4]}`;
      if (m[2].startsWith('video')) video.set(key, m[1] === 'added');
    }
    const live = [...video].filter(([, on]) => on).map(([k]) => k);
    console.log('video encoders', live.join(', '));
    assert.equal(live.length, 2);
  } finally {
    for (const s of stops) await s();
    await poor.close();
    await good.close();
    await pub.stop();
    await path.stop();
  }
});
