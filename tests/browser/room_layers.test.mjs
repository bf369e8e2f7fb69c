// Per-subscriber adaptation in a room (webrtcroom's low layer), over the
// emulated network path (tests/netem): the room (gst-launch-1.0) and two
// Chromium pages run in namespace A — a publisher (its fake camera playing
// scrolling bars, 640x480, ~2 Mb/s) and an unconstrained subscriber — and a
// third page, the constrained subscriber, in namespace B behind the path. The path carries
// 20 Mb/s, then 500 kb/s from 12 s on:
//  - the constrained subscriber is switched to the low layer (320 wide;
//    webrtcroom-layer-changed layer=low for it), the unconstrained one keeps
//    the original (640 wide);
//  - both go on decoding across the switch.
// Runs inside tests/netns-run.sh (see tests/meson.build).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { launchChromium } from './chromium.mjs';
import { stopper, waitFor } from './proc.mjs';
import { startPath, snowY4m, A } from '../netem/ccrun.mjs';

const ROOM = 'layers';

function startRoom(ns) {
  const proc = spawn('ip', ['netns', 'exec', ns, 'gst-launch-1.0', '-m', 'webrtcroom',
    `address=${A}`, 'port=0', `room-name=${ROOM}`], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const port = new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('room did not start:\n' + output)), 20000);
    const on = (c) => {
      output += c;
      const m = output.match(/webrtcroom-listening.*port=\(uint\)(\d+)/);
      if (m) { clearTimeout(t); resolve(Number(m[1])); }
    };
    proc.stdout.on('data', on);
    proc.stderr.on('data', on);
    proc.on('exit', (c) => reject(new Error(`room exited ${c}:\n${output}`)));
  });
  return { port, output: () => output, stop: stopper(proc) };
}

// The video @page decodes from @owner: {frames, width}, or null.
async function videoFrom(page, owner) {
  const s = await page.evaluate(() => window.roomTest.state());
  const t = (s.remoteTracks || []).find((r) => r.name === owner && r.kind === 'video');
  return t ? { frames: t.framesDecoded || 0, width: t.width || 0 } : null;
}

test('a constrained subscriber gets the low layer, another the original; both keep playing', { timeout: 240000 }, async () => {
  const path = await startPath({ schedule: [[0, 20e6], [12, 0.5e6]] });
  const room = startRoom(path.nsA);
  let inA = null;
  let inB = null;
  try {
    const base = `http://${A}:${await room.port}/room/${ROOM}`;
    // The pages are not on localhost: camera access needs the origin deemed secure.
    const secure = [`--unsafely-treat-insecure-origin-as-secure=http://${A}:${await room.port}`];
    // The publisher's camera: scrolling bars (Chromium's own fake picture
    // encodes to ~200 kb/s, which the constrained link carries as is).
    inA = await launchChromium(path.chromiumIn(path.nsA),
      [...secure, `--use-file-for-fake-video-capture=${await snowY4m()}`]);
    inB = await launchChromium(path.chromiumIn(path.nsB), secure);
    const pub = await inA.context.newPage();
    await pub.goto(`${base}?name=P&autojoin=1&mic=0`);
    const free = await inA.context.newPage();
    await free.goto(`${base}?name=U&autojoin=1&camera=0&mic=0`);
    const poor = await inB.context.newPage();
    await poor.goto(`${base}?name=C&autojoin=1&camera=0&mic=0`);
    const poorId = await waitFor(async () => (await poor.evaluate(() => window.roomTest.state())).id, 30000, "C's id");

    // Before the drop: both decode the original.
    for (const [page, who] of [[free, 'U'], [poor, 'C']])
      await waitFor(async () => { const v = await videoFrom(page, 'P'); return v && v.frames >= 30 && v.width === 640; },
        60000, `${who} decoding P at 640`).catch(async (e) => {
        const s = await page.evaluate(() => window.roomTest.state());
        console.log(who, JSON.stringify({ tracks: s.remoteTracks, roster: s.roster, errors: s.errors }));
        console.log(room.output().slice(-3000));
        throw e;
      });

    // After it (12 s from the path's start): C switches to the low layer.
    await waitFor(async () => room.output().includes(`participant=(string)${poorId}`) &&
      new RegExp(`webrtcroom-layer-changed, participant=\\(string\\)${poorId}[^\\n]*layer=\\(string\\)low`).test(room.output()),
    90000, 'the room switching C to the low layer').catch((e) => {
      console.log(room.output().split('\n').filter((l) => /layer-changed|WARN|ERROR|participant-joined/.test(l)).join('\n').slice(-4000));
      throw e;
    });
    await waitFor(async () => { const v = await videoFrom(poor, 'P'); return v && v.width === 320; },
      30000, 'C decoding the low layer (320 wide)');
    const layerLines = room.output().split('\n').filter((l) => l.includes('webrtcroom-layer-changed'));
    console.log(layerLines.map((l) => l.replace(/.*webrtcroom-layer-changed, /, '')).join('\n'));

    // Both go on: frames grow over 5 s, U still at 640.
    const before = { U: await videoFrom(free, 'P'), C: await videoFrom(poor, 'P') };
    await new Promise((r) => setTimeout(r, 5000));
    const after = { U: await videoFrom(free, 'P'), C: await videoFrom(poor, 'P') };
    console.log('before', JSON.stringify(before), 'after', JSON.stringify(after));
    assert.ok(after.U.frames >= before.U.frames + 25, `U decoded ${after.U.frames - before.U.frames} frames in 5 s`);
    assert.ok(after.C.frames >= before.C.frames + 25, `C decoded ${after.C.frames - before.C.frames} frames in 5 s`);
    assert.equal(after.U.width, 640, 'the unconstrained subscriber keeps the original');
  } finally {
    if (inB) await inB.close();
    if (inA) await inA.close();
    await room.stop();
    await path.stop();
  }
});
