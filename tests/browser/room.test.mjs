// A video conference hosted by a gst-launch-1.0 pipeline (webrtcroom with a
// test pattern and a tone, recording every participant): three Chromium
// pages and one Firefox page on the conference page (/room/<name>), and one
// aiortc participant (tests/peers/roomparticipant.py: another WebRTC stack
// speaking the room protocol).
//  - everyone decodes everyone's camera (right size) and receives everyone's
//    microphone, and the pipeline's video;
//  - a screen share renegotiates: everyone decodes the new track;
//  - one page leaves: the others' rosters and tiles drop it, the rest goes
//    on playing;
//  - chat arrives in the same order everywhere;
//  - who speaks, from the RFC 6464 levels on Firefox's packets (the room
//    forwards, it decodes no audio): F speaks, and stops once muted;
//  - the pipeline stops: every participant's tracks are files that play,
//    with the duration the participant was there.
// Runs inside tests/netns-run.sh (see tests/meson.build).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launchChromium } from './chromium.mjs';
import { launchFirefox } from './firefox.mjs';
import { startPublisher } from './publisher.mjs';
import { startRoomProxy } from './roomproxy.mjs';
import { onLines, stopper, waitFor as poll } from './proc.mjs';

const ROOM = 'conf';
// Polls once a second: each look at a page's state is a getStats.
const waitFor = (fn, timeoutMs, what) => poll(fn, timeoutMs, what, 1000);
// The pages' camera (?camera=WxH@fps). Three Chromium pages,
// Firefox, aiortc and the room on 2 cores: at the page's default
// 640x360@24 the machine ran at a load of 25-30 and the Chromium pages'
// signalling stalled for seconds at a time.
const CAMERA = '320x180@15';

// What a page's state says about the others: {name: {video: frames, width, audio: bytes}}.
function received(state) {
  const out = {};
  for (const t of state.remoteTracks || []) {
    const who = t.name || t.participant;
    const label = t.label === 'screen' ? 'screen' : t.kind;
    out[who] = out[who] || {};
    out[who][label] = t.kind === 'video' ? { frames: t.framesDecoded, width: t.width } : { bytes: t.bytesReceived };
  }
  return out;
}

// Whether @state decodes the camera and hears the microphone of every name
// in @names, and decodes the pipeline's video.
function hearsAndSees(state, names) {
  const r = received(state);
  if (!r.pipeline || !r.pipeline.video || r.pipeline.video.frames < 10) return false;
  return names.every((n) => r[n] && r[n].video && r[n].video.frames >= 10 && r[n].video.width > 0 &&
    r[n].audio && r[n].audio.bytes > 1000);
}

// An aiortc participant publishing a camera and a microphone; state() is its
// latest report in the shape a page's roomTest.state() has.
function startAiortc(url, name) {
  const script = fileURLToPath(new URL('../peers/roomparticipant.py', import.meta.url));
  const proc = spawn('/usr/bin/python3', [script, url, '--name', name, '--video', '--audio', '--seconds', '600'],
    { stdio: ['ignore', 'pipe', 'pipe'] });
  let last = {};
  let errors = '';
  onLines(proc.stdout, (line) => { try { last = JSON.parse(line); } catch (e) { /* not a report */ } });
  proc.stderr.on('data', (c) => { errors = (errors + c.toString()).slice(-3000); });
  const state = () => {
    const names = new Map((last.roster || []).map((p) => [p.id, p.name]));
    names.set('pipeline', 'pipeline');
    return {
      id: last.id,
      roster: last.roster || [],
      errors: (last.errors || []).concat(errors ? [errors] : []),
      remoteTracks: (last.tracks || []).filter((t) => t.active).map((t) => ({
        name: names.get(t.participant) || t.participant, participant: t.participant, kind: t.kind,
        label: t.label, framesDecoded: t.frames, width: t.width, bytesReceived: 2 * t.samples,
      })),
    };
  };
  return { state, stop: stopper(proc) };
}

// The duration of a media file in seconds (GstDiscoverer, from Python).
function duration(path) {
  const script = 'import sys, gi\ngi.require_version("Gst", "1.0")\ngi.require_version("GstPbutils", "1.0")\n' +
    'from gi.repository import Gst, GstPbutils\nGst.init(None)\n' +
    'i = GstPbutils.Discoverer.new(10 * Gst.SECOND).discover_uri(Gst.filename_to_uri(sys.argv[1]))\n' +
    'print(i.get_duration() / Gst.SECOND)';
  return Number(execFileSync('/usr/bin/python3', ['-c', script, path], { encoding: 'utf8' }).trim());
}

test('a conference of three Chromium pages and Firefox, hosted and recorded by a pipeline', { timeout: 420000 }, async (t) => {
  const recDir = mkdtempSync(join(tmpdir(), 'room-rec-'));
  // congestion-control=none: on a 2-core machine running three Chromium
  // pages, Firefox and aiortc, the room's estimates read the CPU's delays as
  // congestion and it transcoded every camera to its low layer (~150 % CPU
  // at peaks). The adaptation has its own test (room_layers.test.mjs); this
  // one is about the conference.
  const host = await startPublisher([
    '-e', 'webrtcroom', 'name=room', 'port=0', 'congestion-control=none', `room-name=${ROOM}`, 'allowed-origins=*',
    `record-location=${recDir}/%s.mkv`,
    'videotestsrc', 'is-live=true', 'pattern=ball', '!', 'video/x-raw,width=320,height=240,framerate=15/1', '!', 'room.',
    'audiotestsrc', 'is-live=true', 'wave=ticks', '!', 'room.',
  ]);
  const base = `http://127.0.0.1:${host.port}`;
  const chrome = await launchChromium();
  const proxy = await startRoomProxy(host.port);
  let ff = null;
  const pages = {};
  let aio = null;
  const state = (name) => {
    if (name === 'F') return proxy.reports.get('F') || {};
    if (name === 'P') return aio.state();
    return pages[name].evaluate(() => window.roomTest.state());
  };
  const joinedAt = {};
  try {
    for (const name of ['A', 'B', 'C']) {
      const page = await chrome.context.newPage();
      await page.goto(`${base}/room/${ROOM}?name=${name}&fakescreen=1&camera=${CAMERA}`);
      await page.click('#join');
      pages[name] = page;
      joinedAt[name] = Date.now();
    }
    ff = launchFirefox(`${proxy.base}/room/${ROOM}?name=F&camera=${CAMERA}`);
    await ff.click('#join');
    joinedAt.F = Date.now();
    aio = startAiortc(`ws://127.0.0.1:${host.port}/room/${ROOM}`, 'P');
    const everyone = ['A', 'B', 'C', 'F', 'P'];

    await t.test('everyone decodes everyone and the pipeline', async () => {
      for (const me of everyone) {
        const others = everyone.filter((n) => n !== me);
        await waitFor(async () => hearsAndSees(await state(me), others), 150000,
          `${me} receiving ${others.join(', ')} and the pipeline`).catch(async (e) => {
          // ("diag " lines: scripts/run-tests.sh shows them in CI's summary.)
          const s = await state(me);
          console.log('diag', me, 'receives', JSON.stringify(received(s)), 'errors', JSON.stringify(s.errors));
          console.log('diag', me, 'state', s.state, 'roster', JSON.stringify(s.roster), 'local', JSON.stringify(s.local));
          for (const n of everyone.filter((x) => x !== me))
            console.log('diag', n, 'receives', JSON.stringify(received(await state(n))));
          const f = proxy.reports.get('F');
          console.log('diag F', f ? `last reported ${Date.now() - f.reportedAt} ms ago, state ${f.state}, errors ${JSON.stringify(f.errors)}`
            : 'never reported', 'Firefox exit', JSON.stringify(ff.exit()));
          console.log('diag Firefox printed:', ff.output().slice(-1500).replace(/\n/g, ' | '));
          const lines = host.output().split('\n');
          console.log('pipeline warnings and tracks:\n' + lines.filter((l) =>
            /^(WARNING|ERROR)|track-added|track-removed|participant-(joined|left)|reason/.test(l)).slice(-40).join('\n'));
          console.log('diag pipeline: ' + lines.filter((l) => /^(WARNING|ERROR)|participant-(joined|left)/.test(l))
            .slice(-8).join(' | '));
          throw e;
        });
      }
      const r = received(await state('A'));
      assert.equal(r.pipeline.video.width, 320);
      assert.equal(r.B.video.width, 320, `B's camera (${CAMERA}) at A`);
      console.log('A receives', JSON.stringify(r));
      console.log('F receives', JSON.stringify(received(await state('F'))));
      console.log('P receives', JSON.stringify(received(await state('P'))));
    });

    await t.test('chat arrives in the same order everywhere', async () => {
      const sentAt = {};
      for (let i = 0; i < 3; i++) {
        for (const n of ['A', 'B', 'C']) {
          sentAt[`${n}${i}`] = Date.now();
          await pages[n].evaluate((text) => window.roomTest.sendChat(text), `${n}${i}`);
        }
      }
      // Each message's way, in ms: sent to the room's stamp (ts), and from
      // there to each page's log.
      const ways = async () => {
        const out = {};
        for (const n of ['A', 'B', 'C']) {
          for (const c of (await state(n)).chat || []) {
            out[c.text] = out[c.text] || { up: c.ts - sentAt[c.text] };
            out[c.text][n] = c.receivedAt - c.ts;
          }
        }
        return JSON.stringify(out);
      };
      const texts = async (n) => ((await state(n)).chat || []).map((m) => m.text);
      const sent = Date.now();
      const arrived = {};
      for (const n of ['A', 'B', 'C', 'F']) {
        await waitFor(async () => (await texts(n)).length >= 9, 90000, `chat at ${n}`).catch(async (e) => {
          // Every participant's chat and state, and what the room said.
          for (const m of ['A', 'B', 'C', 'F']) {
            const s = await state(m);
            console.log('diag', m, 'chat', JSON.stringify((s.chat || []).map((c) => c.text)), 'state', s.state,
              'reconnects', JSON.stringify(s.reconnects || []),
              'errors', JSON.stringify(s.errors || []).slice(0, 600),
              m === 'F' ? `reported ${Date.now() - s.reportedAt} ms ago` : '');
            // A page's socket and message queue: a closed socket, a full
            // outbox or a message that never finished handling.
            if (pages[m]) console.log('diag', m, 'client', JSON.stringify(await pages[m].evaluate(async () => {
              const r = window.roomTest.room;
              const chain = await Promise.race([r._chain.then(() => 'idle'), new Promise((d) => setTimeout(() => d('busy'), 500))]);
              return { socket: r._ws ? r._ws.readyState : null, outbox: r._outbox.length,
                heardMsAgo: Date.now() - r._lastHeard, chain, signaling: r.pc && r.pc.signalingState };
            })));
          }
          console.log('diag chat ways', await ways());
          console.log('diag pipeline: ' + host.output().split('\n').filter((l) =>
            /^(WARNING|ERROR)|chat|participant-(joined|left)/.test(l)).slice(-12).join(' | '));
          throw e;
        });
        arrived[n] = Date.now() - sent;
      }
      console.log(`chat everywhere ${Date.now() - sent} ms after it was sent (${JSON.stringify(arrived)}); ways ${await ways()}`);
      for (const n of ['A', 'B', 'C']) {
        const r = (await state(n)).reconnects || [];
        if (r.length) console.log(n, 'lost its socket', r.length, 'times:', JSON.stringify(r));
      }
      const order = await texts('A');
      assert.equal(order.length, 9);
      for (const n of ['B', 'C', 'F']) assert.deepEqual(await texts(n), order, `${n}'s chat order`);
    });

    await t.test('who speaks, from the audio levels browsers put on their packets (RFC 6464)', async () => {
      // A forwarding room decodes no audio: it reads the ssrc-audio-level
      // header extension its offer asks for. Firefox's fake microphone is a
      // steady 1 kHz tone: F speaks, for the room and on A's page; its
      // microphone muted (silence, level -127), it stops.
      const fId = (await state('F')).id;
      const aSees = async (want) => ((await state('A')).speaking || []).includes(fId) === want;
      await waitFor(() => aSees(true), 30000, "A's page showing F speaking").catch(async (e) => {
        console.log('A: speaking', JSON.stringify((await state('A')).speaking), 'host:',
          host.output().split('\n').filter((l) => /speaking|levels/.test(l)).slice(-10).join('\n'));
        throw e;
      });
      const said = (v) => new RegExp(`webrtcroom-speaking, participant=\\(string\\)${fId}, speaking=\\(boolean\\)${v}`);
      assert.ok(said(true).test(host.output()), 'no webrtcroom-speaking for F on the bus');
      await proxy.call('F', 'setMicMuted', true);
      await waitFor(() => aSees(false), 30000, "A's page showing F silent once it muted");
      await waitFor(async () => said(false).test(host.output()), 10000, 'webrtcroom-speaking false for F');
      await proxy.call('F', 'setMicMuted', false);
      await waitFor(() => aSees(true), 30000, "A's page showing F speaking again");
    });

    await t.test('a screen share renegotiates and everyone decodes it', async () => {
      await pages.A.evaluate(() => window.roomTest.startScreenShare());
      for (const me of ['B', 'C', 'F']) {
        await waitFor(async () => {
          const r = received(await state(me));
          return r.A && r.A.screen && r.A.screen.frames >= 10;
        }, 90000, `${me} decoding A's screen`).catch(async (e) => {
          const a = await state('A');
          console.log('A', a.state, 'local', JSON.stringify(a.local), 'errors', JSON.stringify(a.errors));
          console.log(me, 'receives', JSON.stringify(received(await state(me))));
          const lines = host.output().split('\n');
          const notes = lines.flatMap((l, i) => (/^(WARNING|ERROR)/.test(l) ? lines.slice(i, i + 5) : []));
          console.log('pipeline warnings:\n' + notes.slice(-30).join('\n'));
          throw e;
        });
      }
    });

    await t.test('one leaves: the others drop it and go on', async () => {
      const bId = (await state('B')).id;
      assert.ok((await state('A')).tiles.includes(bId), 'A shows a tile for B');
      await pages.B.evaluate(() => window.roomTest.leave());
      for (const me of ['A', 'C', 'F', 'P']) {
        await waitFor(async () => {
          const s = await state(me);
          return !(s.roster || []).some((p) => p.name === 'B') && !(s.tiles || []).includes(bId) && !received(s).B;
        }, 30000, `${me} dropping B (roster, ${me === 'P' ? '' : 'tile, '}tracks)`);
      }
      // The rest keeps playing at A (each one's frames grow).
      const before = received(await state('A'));
      for (const n of ['C', 'F', 'P']) {
        await waitFor(async () => {
          const r = received(await state('A'));
          const was = before[n] && before[n].video ? before[n].video.frames : 0;
          return r[n] && r[n].video && r[n].video.frames > was;
        }, 30000, `${n}'s video still playing at A`);
      }
      const after = received(await state('A'));
      assert.ok(!after.B, 'B is gone at A');
    });

    await t.test('the recordings play, one file per track', async () => {
      const stopped = Date.now();
      const code = await host.stop();
      assert.equal(code, 0, 'the pipeline stopped cleanly:\n' + host.output().slice(-3000));
      const files = readdirSync(recDir).sort();
      console.log('recordings:', files.join(' '));
      // Three Chromium pages (camera, microphone; A's screen too), Firefox and aiortc.
      assert.ok(files.length >= 11, `${files.length} files`);
      for (const f of files) {
        const d = duration(join(recDir, f));
        // What the pipeline said about that track (pad = file name).
        const said = () => host.output().split('\n').filter((l) => l.includes(f.replace(/\.mkv$/, '')))
          .map((l) => l.replace(/^Got message #\d+ from element "room" \(element\): /, '')).slice(-8).join('\n');
        assert.ok(d >= 2, `${f} lasts ${d} s; the pipeline said:\n${said()}`);
      }
      const bVideo = files.find((f) => /_video_0\.mkv$/.test(f) && duration(join(recDir, f)) < (stopped - joinedAt.A) / 1000 - 5);
      assert.ok(bVideo, 'the page that left has a shorter file');
    });
  } finally {
    if (ff) await ff.close();
    if (aio) await aio.stop();
    await chrome.close();
    await proxy.close();
    await host.stop();
    rmSync(recDir, { recursive: true, force: true });
  }
});
