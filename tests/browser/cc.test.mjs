// Congestion control through the emulated path (tests/netem): webrtcpublish
// in one network namespace, headless Chromium viewers in another behind a
// bottleneck (50 ms one-way delay, 300 ms drop-tail queue).
//  - A shortened RFC 8867 §5.1 run (1 -> 2.5 -> 0.6 -> 1 Mb/s in 55 s): the
//    send rate follows the drop within a few seconds and goes back up with
//    the rises, sustained loss stays low, the viewer keeps decoding.
//  - Two viewers, one behind a 0.5 Mb/s link and one not: the free one
//    keeps the full picture and rate, the constrained one moves down the
//    encoding ladder, and the publisher runs two video encoders, not one per
//    viewer. Then the constrained browser's address changes: its viewer
//    plays again on the same session from its new address, the other never
//    notices, and what it publishes (the publish page, WHIP) reaches its
//    pipeline again after the page restarted ICE.
// Runs inside tests/netns-run.sh (see tests/meson.build).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { launchChromium } from './chromium.mjs';
import { waitFor } from './proc.mjs';
import { runScenario, metrics, sendRate, startPath, startOurSender, startOurReceiver, pollVideoStats, A } from '../netem/ccrun.mjs';

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

// The address of the selected candidate pair's local end in @page's
// viewer, and its frames decoded.
function viewerPath(page) {
  return page.evaluate(async () => {
    const pc = window.rtcViewer.pc;
    if (!pc) return null;
    const report = await pc.getStats();
    let transport = null;
    let frames = 0;
    report.forEach((r) => {
      if (r.type === 'transport') transport = r;
      if (r.type === 'inbound-rtp' && r.kind === 'video') frames = r.framesDecoded || 0;
    });
    const pair = transport && report.get(transport.selectedCandidatePairId);
    const local = pair && report.get(pair.localCandidateId);
    return { address: local ? local.address : null, frames, iceState: transport && transport.iceState,
             session: client && client.location, restarts: window.rtcViewer.iceRestarts,
             reasons: window.rtcViewer.restartReasons.slice() };
  });
}

// The longest time in @series (from @from on) during which the frame count
// did not grow, in ms.
function longestStall(series, from) {
  const samples = series.filter((x) => x.t >= from && x.frames !== undefined);
  let longest = 0;
  let last = samples[0];
  for (const s of samples) {
    if (s.frames > last.frames) {
      longest = Math.max(longest, s.t - last.t);
      last = s;
    }
  }
  return samples.length ? Math.max(longest, samples[samples.length - 1].t - last.t) : Infinity;
}

// The viewer in B moves to another address (issue 14, faults survived): its
// old address is removed from its interface, so every packet to it is lost.
// Chromium's continual gathering finds the new address within a few seconds
// and checks a pair from it, but libnice (the server's ICE agent) keeps the
// dead pair selected: it does not take a peer-reflexive pair of lower
// priority than the one selected. The page sees no media for 2 s after its
// browser moved to another pair and restarts ICE on the same session (a
// PATCH with new credentials). Checked: the page restarted for that reason
// (not its 5 s rule for no media), the same session (the page's session URL
// unchanged) plays again from the new address; the viewer beside the sender
// never stalls over 2 s.
// The same browser publishes too (the publish page, WHIP into
// webrtcsubscribe in A), and its path breaks with the same move: Chromium
// calls itself disconnected ~5 s later, and after 2 s of that the page
// restarts ICE. The server counts the restart as the publisher's sign of
// life (its session would end after publisher-timeout, 10 s, without
// media). Checked: the page restarted ICE, and the pipeline gets frames
// again without an error. Mostly on the same session; in two runs of
// twelve the restart was answered but no media followed, the session
// ended 10 s later and the page started a new one (not traced; a
// restart's checks can fail, docs/security.md): printed, not asserted.
async function addressChange(path, page, stats, publisher) {
  const MOVED = '10.81.0.3';
  const before = await viewerPath(page);
  assert.ok(before && before.session, 'the viewer has a session');
  const pubBefore = publisher.sub.stats().video_frames;
  const at = Date.now();
  path.moveB(MOVED);
  const moved = await waitFor(async () => {
    const now = await viewerPath(page);
    return now && now.address === MOVED && now.iceState === 'connected' ? now : null;
  }, 60000, `the viewer on its new address (${MOVED})`);
  const onPath = Date.now() - at;
  await waitFor(async () => (await viewerPath(page)).frames > moved.frames + 30, 45000,
    'frames decoded from the new address');
  const playing = Date.now() - at;
  const after = await viewerPath(page);
  const stall = longestStall(stats.good, at);
  console.log(`address change: on the new address after ${onPath} ms, 30 frames after ${playing} ms;`,
    `ICE restarts ${after.restarts - before.restarts} (${after.reasons.slice(before.reasons.length).join(', ')});`,
    `the other viewer's longest stall ${stall} ms`);
  assert.equal(after.reasons[before.reasons.length], 'moved', 'the first restart after the move was not for the move');
  assert.equal(after.session, before.session, 'the viewer started a new session instead');
  assert.equal(after.address, MOVED, 'the viewer plays from its old address');
  assert.ok(stall <= 2000, `the viewer beside the sender stalled ${stall} ms`);

  const { sub, page: pubPage } = publisher;
  await waitFor(() => sub.stats().video_frames > pubBefore + 30, 60000,
    'the pipeline getting the publish page\'s frames again');
  const pubState = await pubPage.evaluate(() => ({ restarts: window.rtcPublisher.iceRestarts,
                                                   reconnects: window.rtcPublisher.reconnects }));
  console.log(`the publisher: frames again after ${Date.now() - at} ms;`, JSON.stringify(pubState),
    JSON.stringify(sub.stats()));
  assert.ok(pubState.restarts >= 1, 'the publish page did not restart ICE');
  assert.equal(sub.stats().errors.length, 0, sub.stats().errors.join('; '));
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

test('a viewer on a poor link does not degrade another; two rungs, two encoders; it changes address and goes on', { timeout: 240000 }, async () => {
  const path = await startPath({ schedule: [[0, 0.5e6]] });
  const pub = await startOurSender(path.nsA, ['video-bitrate=2500000']);
  // (the WHIP server the constrained browser publishes into at the end)
  const sub = await startOurReceiver(path.nsA, A);
  const poor = await launchChromium(path.chromiumIn(path.nsB),
    [`--unsafely-treat-insecure-origin-as-secure=http://${A}:${sub.port}`]);
  const good = await launchChromium(path.chromiumIn(path.nsA)); // beside the sender
  const stats = { poor: [], good: [] };
  const stops = [];
  try {
    const pages = {};
    for (const [which, browser] of [['poor', poor], ['good', good]]) {
      const page = await browser.context.newPage();
      await page.goto(`http://${A}:${pub.port}/view/live`);
      stops.push(pollVideoStats(page, 'window.rtcViewer && window.rtcViewer.pc', stats[which]));
      pages[which] = page;
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

    const pubPage = await poor.context.newPage();
    await pubPage.goto(`http://${A}:${sub.port}/publish/live`);
    await pubPage.click('#start');
    await waitFor(() => sub.stats() && sub.stats().video_frames > 30, 30000,
      'the publish page\'s frames in the pipeline');
    await addressChange(path, pages.poor, stats, { sub, page: pubPage });
  } finally {
    for (const s of stops) await s();
    await poor.close();
    await good.close();
    await sub.stop();
    await pub.stop();
    await path.stop();
  }
});
