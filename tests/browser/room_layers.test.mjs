// Per-subscriber adaptation in a room (webrtcroom's low layer), over the
// emulated network path (tests/netem): the room (gst-launch-1.0) and two
// Chromium pages run in namespace A — a publisher (its fake camera playing
// scrolling bars, 640x480, ~2 Mb/s) and an unconstrained subscriber — and a
// third page, the constrained subscriber, in namespace B behind the path,
// which carries 20 Mb/s and then 500 kb/s.
//  1. The constrained subscriber is switched to the low layer (at most 320 wide;
//     webrtcroom-layer-changed layer=low for it), the unconstrained one
//     keeps the original (wider: 640, or less when Chromium lowers P's
//     resolution to spare its CPU, as it does on a loaded 2-core machine);
//     both go on decoding across the switch.
//  2. On a host whose CPU is saturated (busy loops at the lowest priority:
//     the pages hardly slow down, Linux's CPU pressure goes to ~80 %), the
//     room does not start the low layer (an encoder would add to the load):
//     it warns and the constrained subscriber keeps the original; once the
//     load is gone, the low layer starts and the subscriber switches.
// Runs inside tests/netns-run.sh (see tests/meson.build).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { launchChromium } from './chromium.mjs';
import { stopper, waitFor } from './proc.mjs';
import { startPath, snowY4m, A } from '../netem/ccrun.mjs';

const ROOM = 'layers';
// The room's low-layer-width (default): a low layer is the original scaled
// down by a whole factor to about this, never wider.
const LOW_WIDTH = 320;

function startRoom(ns, extra) {
  const proc = spawn('ip', ['netns', 'exec', ns, 'gst-launch-1.0', '-m', 'webrtcroom',
    `address=${A}`, 'port=0', `room-name=${ROOM}`, ...extra], { stdio: ['ignore', 'pipe', 'pipe'] });
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

// The path (capacity drop at @dropAt s), the room (@props) and the three
// pages, all decoding P's original (wider than any low layer); @body({room, path, free, poor, poorId})
// runs next, then everything stops.
async function withRoom(dropAt, props, body) {
  const path = await startPath({ schedule: [[0, 20e6], [dropAt, 0.5e6]] });
  const room = startRoom(path.nsA, props);
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
    await pub.goto(`${base}?name=P&mic=0`);
    await pub.click('#join');
    const free = await inA.context.newPage();
    await free.goto(`${base}?name=U&camera=0&mic=0`);
    await free.click('#join');
    const poor = await inB.context.newPage();
    await poor.goto(`${base}?name=C&camera=0&mic=0`);
    await poor.click('#join');
    const poorId = await waitFor(async () => (await poor.evaluate(() => window.roomTest.state())).id, 30000, "C's id");
    for (const [page, who] of [[free, 'U'], [poor, 'C']])
      await waitFor(async () => { const v = await videoFrom(page, 'P'); return v && v.frames >= 30 && v.width > LOW_WIDTH; },
        60000, `${who} decoding P's original`).catch(async (e) => {
        const s = await page.evaluate(() => window.roomTest.state());
        console.log(who, JSON.stringify({ tracks: s.remoteTracks, roster: s.roster, errors: s.errors }));
        console.log(room.output().slice(-3000));
        throw e;
      });
    await body({ room, path, free, poor, poorId });
  } finally {
    if (inB) await inB.close();
    if (inA) await inA.close();
    await room.stop();
    await path.stop();
  }
}

const switchedLow = (room, id) =>
  new RegExp(`webrtcroom-layer-changed, participant=\\(string\\)${id}[^\\n]*layer=\\(string\\)low`).test(room.output());

async function waitForLowLayer(room, poor, poorId, seconds) {
  await waitFor(async () => switchedLow(room, poorId), seconds * 1000, 'the room switching C to the low layer').catch((e) => {
    console.log(room.output().split('\n').filter((l) => /layer-changed|WARN|ERROR|participant-joined/.test(l)).join('\n').slice(-4000));
    throw e;
  });
  const seen = [];
  await waitFor(async () => {
    const v = await videoFrom(poor, 'P');
    seen.push(v ? `${v.frames}@${v.width}` : 'none');
    return v && v.width <= LOW_WIDTH;
  }, 30000, `C decoding the low layer (at most ${LOW_WIDTH} wide)`, 1000).catch((e) => {
    console.log("C's video from P each second since the switch:", seen.join(' '));
    console.log(room.output().split('\n').filter((l) => /layer-changed|WARN|ERROR/.test(l)).join('\n').slice(-4000));
    throw e;
  });
  const layerLines = room.output().split('\n').filter((l) => l.includes('webrtcroom-layer-changed'));
  console.log(layerLines.map((l) => l.replace(/.*webrtcroom-layer-changed, /, '')).join('\n'));
}

// Linux's CPU pressure ("some avg10", %), which the room reads.
function cpuPressure() {
  let text;
  try {
    text = readFileSync('/proc/pressure/cpu', 'utf8');
  } catch (e) {
    throw new Error('this test needs Linux pressure stall information (/proc/pressure/cpu)');
  }
  return Number(/^some avg10=([\d.]+)/m.exec(text)[1]);
}

test('a constrained subscriber gets the low layer, another the original; both keep playing', { timeout: 240000 }, async () => {
  // low-layer-max-cpu-pressure=100: about the link, however busy the machine.
  await withRoom(12, ['low-layer-max-cpu-pressure=100'], async ({ room, free, poor, poorId }) => {
    // After the drop (12 s from the path's start): C switches to the low layer.
    await waitForLowLayer(room, poor, poorId, 90);
    // Both go on: frames grow over 5 s, U still on the original.
    const before = { U: await videoFrom(free, 'P'), C: await videoFrom(poor, 'P') };
    await new Promise((r) => setTimeout(r, 5000));
    const after = { U: await videoFrom(free, 'P'), C: await videoFrom(poor, 'P') };
    console.log('before', JSON.stringify(before), 'after', JSON.stringify(after));
    assert.ok(after.U.frames >= before.U.frames + 25, `U decoded ${after.U.frames - before.U.frames} frames in 5 s`);
    assert.ok(after.C.frames >= before.C.frames + 25, `C decoded ${after.C.frames - before.C.frames} frames in 5 s`);
    assert.ok(after.U.width > LOW_WIDTH && after.U.width > after.C.width,
      `the unconstrained subscriber keeps the original (U ${after.U.width}, C ${after.C.width} wide)`);
  });
});

test('a saturated host forwards the original instead of starting a low layer, and starts it once the load is gone', { timeout: 300000 }, async () => {
  // Busy loops at the lowest priority, twice as many as there are cores, and one.
  const burners = [];
  const burn = () => {
    for (let i = 0; i <= 2 * cpus().length; i++)
      burners.push(spawn('nice', ['-n', '19', 'sh', '-c', 'while :; do :; done'], { stdio: 'ignore' }));
  };
  const unburn = () => { for (const b of burners.splice(0)) b.kill('SIGKILL'); };
  try {
    // The load from the start (the pages hardly notice busy loops at nice
    // 19, and PSI's 10 s average has time to rise); the default
    // low-layer-max-cpu-pressure (60 %); the drop 50 s in.
    burn();
    await withRoom(50, [], async ({ room, path, poor, poorId }) => {
      await waitFor(async () => cpuPressure() >= 70, 45000, "the CPU pressure above 70 %");
      const dropIn = 50000 - (Date.now() - path.started());
      assert.ok(dropIn > 0, `the pages took too long: the drop came ${-dropIn} ms before the load`);
      await new Promise((r) => setTimeout(r, dropIn));
      await waitFor(async () => room.output().includes("The host's CPU is saturated"), 60000,
        'the room warning that the CPU is saturated');
      // It keeps forwarding the original to C, through the constraint.
      await new Promise((r) => setTimeout(r, 10000));
      assert.ok(cpuPressure() >= 60, `the pressure stayed up (${cpuPressure()} %)`);
      assert.ok(!switchedLow(room, poorId), 'no low layer while the CPU is saturated');
      const v = await videoFrom(poor, 'P');
      assert.ok(v.width > LOW_WIDTH, `C still gets the original (${v.width} wide)`);
      console.log(room.output().split('\n').filter((l) => l.includes('CPU is saturated')).join('\n'));

      // The load goes: the pressure falls under 60 % and the low layer starts.
      unburn();
      await waitForLowLayer(room, poor, poorId, 90);
    });
  } finally {
    unburn();
  }
});
