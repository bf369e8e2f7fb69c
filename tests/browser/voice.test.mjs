// A voice call mixed by the room (webrtcroom audio-mode=mix), hosted by a
// pipeline (roomhost.py, so that the test can act on the element) that
// records its "mix" pad: two pipelines joining with room-url, each sending a
// tone (A 440 Hz, B 660 Hz) and recording what it receives; two headless
// Chromium pages whose microphone is a WebAudio oscillator, C on the voice
// page (/voice/<name>, 880 Hz) and D on the conference page (1200 Hz); a
// headless Firefox page (F) on the voice page whose fake microphone is
// Firefox's 1 kHz tone (its page reports through roomproxy.mjs). Measured
// on the audio:
//  - each page receives one audio track (the room's mix) with the four
//    other tones, and its own at least 20 dB under each of them;
//  - each page shows everyone speaking (the room's "speaking" messages):
//    the voice pages list them, the conference page outlines their tiles;
//    the voice page a level meter each ("levels"), C's falling once muted;
//  - the voice page's mute and push-to-talk (the space bar) take C's
//    voice out of the room and back; so does the host's mute
//    (set-audio-muted), which C's page shows;
//  - per-listener volume: C (Chromium) and F (Firefox) each turn someone
//    off with the voice page's slider and no longer hear them, while D
//    still does; back at 100 %, C hears everyone again;
//  - each pipeline's recording has the four other tones, its own 20 dB
//    under them (B's recording ends with F hearing B off: B still hears F);
//  - the host's recording of the mix has all five.
// Runs inside tests/netns-run.sh (see tests/meson.build).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launchChromium } from './chromium.mjs';
import { launchFirefox } from './firefox.mjs';
import { startRoomProxy } from './roomproxy.mjs';
import { startRoomHost } from './publisher.mjs';
import { stopper, waitFor } from './proc.mjs';

const ROOM = 'voice';
const TONES = { A: 440, B: 660, C: 880, D: 1200, F: 1000 };
const NOBODY = 1320;

// Power (dB) at @freq of mono float @samples at @rate (Goertzel).
function powerDb(samples, rate, freq) {
  const k = 2 * Math.cos((2 * Math.PI * freq) / rate);
  let s1 = 0;
  let s2 = 0;
  for (const x of samples) {
    const s0 = x + k * s1 - s2;
    s2 = s1;
    s1 = s0;
  }
  return 10 * Math.log10(s1 * s1 + s2 * s2 - k * s1 * s2 + 1e-9);
}

// The first channel of a 16-bit PCM WAV file, from @fromS to @toS seconds.
function readWav(path, fromS, toS) {
  const b = readFileSync(path);
  let off = 12;
  let channels = 0;
  let rate = 0;
  while (off + 8 <= b.length) {
    const id = b.toString('ascii', off, off + 4);
    let size = b.readUInt32LE(off + 4);
    if (id === 'fmt ') {
      channels = b.readUInt16LE(off + 10);
      rate = b.readUInt32LE(off + 12);
    } else if (id === 'data') {
      // An interrupted recording may leave the size unset: up to the end.
      if (size === 0 || off + 8 + size > b.length) size = b.length - off - 8;
      const frames = Math.floor(size / (2 * channels));
      const first = Math.min(frames, Math.floor(fromS * rate));
      const last = Math.min(frames, Math.floor(toS * rate));
      const out = new Float32Array(Math.max(0, last - first));
      for (let i = first; i < last; i++) out[i - first] = b.readInt16LE(off + 8 + i * 2 * channels) / 32768;
      return { samples: out, rate, seconds: frames / rate };
    }
    off += 8 + size + (size & 1);
  }
  throw new Error(`${path}: no data chunk`);
}

// @heard tones each >= 20 dB over each @unheard tone in @samples.
function assertTones(who, { samples, rate }, heard, unheard) {
  const p = (f) => powerDb(samples, rate, f);
  const line = [...heard, ...unheard].map((f) => `${f} Hz ${p(f).toFixed(1)} dB`).join(', ');
  console.log(`${who}: ${line}`);
  for (const h of heard)
    for (const u of unheard)
      assert.ok(p(h) - p(u) >= 20, `${who}: ${h} Hz at ${p(h).toFixed(1)} dB, ${u} Hz at ${p(u).toFixed(1)} dB (${line})`);
}

// A pipeline joining the room with a tone and recording the room's mix to @wav.
function startMember(port, name, wav) {
  const proc = spawn('gst-launch-1.0', ['-e', 'webrtcroom', 'name=room', 'handshake-timeout=60000',
    `room-url=ws://127.0.0.1:${port}/room/${ROOM}`, `signaller::display-name=${name}`,
    'audiotestsrc', 'is-live=true', 'volume=0.3', `freq=${TONES[name]}`, '!', 'room.audio_0',
    'room.participant_room_audio_0', '!', 'queue', '!', 'audioconvert', '!', 'audio/x-raw,format=S16LE',
    '!', 'wavenc', '!', 'filesink', `location=${wav}`], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  proc.stdout.on('data', (c) => { output += c; });
  proc.stderr.on('data', (c) => { output += c; });
  return { output: () => output, stop: stopper(proc) };
}

// The Chromium page's microphone: an oscillator at TONES.C.
const PAGE_INIT = `
  navigator.mediaDevices.getUserMedia = async (c) => {
    const ac = new AudioContext();
    const osc = ac.createOscillator();
    osc.frequency.value = ({ C: ${TONES.C}, D: ${TONES.D} })[new URLSearchParams(location.search).get('name')];
    const gain = ac.createGain();
    gain.gain.value = 0.3;
    const dst = ac.createMediaStreamDestination();
    osc.connect(gain).connect(dst);
    osc.start();
    ac.resume().catch(() => {});
    return new MediaStream(c && c.audio ? dst.stream.getAudioTracks() : []);
  };
`;

// What a page's window.roomTest.audioPower () found: one track, the room's,
// with @name's tone 20 dB under each other tone.
function assertPageHears(name, found) {
  const freqs = Object.values(TONES);
  assert.equal(found.length, 1, `${name}: ${found.length} audio tracks (${JSON.stringify(found)})`);
  assert.equal(found[0].participant, 'room', `${name}: the audio is ${found[0].participant}'s, not the room's`);
  assert.ok(found[0].samples >= found[0].rate / 2, `${name}: only ${found[0].samples} samples (${JSON.stringify(found)})`);
  const power = Object.fromEntries(freqs.map((f, i) => [f, found[0].powers[i]]));
  const line = freqs.map((f) => `${f} Hz ${power[f].toFixed(1)} dB`).join(', ');
  console.log(`page ${name} (${TONES[name]} Hz): ${line}`);
  for (const f of freqs)
    if (f !== TONES[name])
      assert.ok(power[f] - power[TONES[name]] >= 20, `${name}: ${f} Hz at ${power[f].toFixed(1)} dB, its own ${TONES[name]} Hz at ${power[TONES[name]].toFixed(1)} dB (${line})`);
}

test('a voice call mixed by the room: two Chromium pages, a Firefox page and two pipelines each hear the others, not themselves', { timeout: 240000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'voice-'));
  const host = await startRoomHost(['-e', 'webrtcroom', 'name=room', 'port=0', `room-name=${ROOM}`,
    'audio-mode=mix', 'congestion-control=none', 'handshake-timeout=60000', 'allowed-origins=*',
    'room.mix', '!', 'queue', '!', 'audioconvert', '!', 'audio/x-raw,format=S16LE', '!', 'wavenc', '!',
    'filesink', `location=${join(dir, 'mix.wav')}`]);
  const members = [];
  let chromium = null;
  let firefox = null;
  // Firefox's page comes through the proxy: another origin.
  const proxy = await startRoomProxy(host.port);
  try {
    for (const name of ['A', 'B']) members.push(startMember(host.port, name, join(dir, `${name}.wav`)));
    chromium = await launchChromium();
    await chromium.context.addInitScript({ content: PAGE_INIT });
    const page = await chromium.context.newPage();
    // C and F on the voice page, D on the conference page: both pages of
    // the room, the voice page in both browsers.
    await page.goto(`http://127.0.0.1:${host.port}/voice/${ROOM}?name=C`);
    await page.click('#join');
    const conf = await chromium.context.newPage();
    await conf.goto(`http://127.0.0.1:${host.port}/room/${ROOM}?name=D&camera=0`);
    await conf.click('#join');
    firefox = launchFirefox(`${proxy.base}/voice/${ROOM}?name=F`);
    await firefox.click('#join');
    await waitFor(async () => (host.output().match(/webrtcroom-participant-joined/g) || []).length >= 5,
      90000, 'five participants in the room');
    // Everyone is in every mix: let the tones settle for 3 s.
    await new Promise((r) => setTimeout(r, 3000));
    const freqs = Object.values(TONES);
    const inTime = (p, what) => Promise.race([p, new Promise((_, reject) => setTimeout(() => {
      console.log('F reports', JSON.stringify(proxy.reports.get('F') || {}).slice(0, 2000));
      reject(new Error(`${what}: no answer in 30 s`));
    }, 30000))]);
    const [fromC, fromD, fromF] = await Promise.all([
      inTime(page.evaluate((f) => window.roomTest.audioPower(f, 2000), freqs), 'C'),
      inTime(conf.evaluate((f) => window.roomTest.audioPower(f, 2000), freqs), 'D'),
      inTime(proxy.call('F', 'audioPower', freqs, 2000), 'F'),
    ]);
    assertPageHears('C', fromC);
    assertPageHears('D', fromD);
    assertPageHears('F', fromF);
    // The room says who speaks: everyone sends a tone, so every page shows
    // all five speaking (its own entry or tile too).
    const speakers = (st) => {
      const byId = Object.fromEntries((st.roster || []).map((p) => [p.id, p.name]));
      return (st.speaking || []).map((id) => byId[id] || id).sort().join(',');
    };
    const ALL = 'A,B,C,D,F';
    await waitFor(async () => speakers(await page.evaluate(() => window.roomTest.state())) === ALL,
      15000, 'page C showing everyone speaking').catch(async (e) => {
      console.log('C', JSON.stringify((await page.evaluate(() => window.roomTest.state())).speaking));
      throw e;
    });
    const listedC = (await page.evaluate(() => window.roomTest.state())).listedSpeaking;
    assert.equal(listedC.length, 5, `page C lists ${listedC.join(', ')} as speaking`);
    await waitFor(async () => speakers(proxy.reports.get('F') || {}) === ALL, 15000,
      'page F (Firefox, voice page) showing everyone speaking');
    await waitFor(async () => ((proxy.reports.get('F') || {}).listedSpeaking || []).length === 5, 15000,
      'page F listing five speaking').catch((e) => {
      console.log('F lists', JSON.stringify((proxy.reports.get('F') || {}).listedSpeaking));
      throw e;
    });
    await waitFor(async () => speakers(await conf.evaluate(() => window.roomTest.state())) === ALL, 15000,
      'page D (conference page) showing everyone speaking');
    const tilesD = (await conf.evaluate(() => window.roomTest.state())).speakingTiles || [];
    assert.equal(tilesD.length, 5, `page D highlights ${tilesD.join(', ')}`);
    // The voice page's mute and push-to-talk: C's microphone stops reaching
    // the room (C no longer speaks, for the room) and comes back.
    const cSpeaks = async () => speakers(await page.evaluate(() => window.roomTest.state())).includes('C');
    const until = (want, what) => waitFor(async () => (await cSpeaks()) === want, 15000, what);
    // Levels: page C shows a meter for everyone, the tones well up.
    const listedLevels = async () => (await page.evaluate(() => window.roomTest.state())).listedLevels;
    const byName = async () => {
      const st = await page.evaluate(() => window.roomTest.state());
      const ids = Object.fromEntries((st.roster || []).map((p) => [p.name, p.id]));
      return Object.fromEntries(Object.entries(ids).map(([n, id]) => [n, st.listedLevels[id]]));
    };
    await waitFor(async () => Object.values(await byName()).filter((l) => l >= -40).length === 5, 15000,
      'page C showing levels above -40 dBFS for everyone').catch(async (e) => {
      console.log('C lists levels', JSON.stringify(await byName()), JSON.stringify(await listedLevels()));
      throw e;
    });
    await page.evaluate(() => window.roomTest.setMuted(true));
    await until(false, 'C not speaking once muted');
    await waitFor(async () => (await byName()).C <= -60, 15000, "page C showing C's own level fall once muted");
    await page.evaluate(() => window.roomTest.setMuted(false));
    await until(true, 'C speaking once unmuted');
    await page.evaluate(() => window.roomTest.setPushToTalk(true));
    await until(false, 'C not speaking in push-to-talk, the space bar up');
    await page.keyboard.down('Space');
    await until(true, 'C speaking while the space bar is held');
    await page.keyboard.up('Space');
    await until(false, 'C not speaking once the space bar is released');
    await page.evaluate(() => window.roomTest.setPushToTalk(false));
    await until(true, 'C speaking again');
    // The host mutes C for everyone (set-audio-muted): C stops speaking for
    // the room and its page lists it "muted by the host"; unmuted, back.
    const cId = (await page.evaluate(() => window.roomTest.state())).id;
    const listedMuted = async () => (await page.evaluate(() => window.roomTest.state())).listedHostMuted;
    host.send(`mute ${cId} 1`);
    await until(false, 'C not speaking once the host muted it');
    await waitFor(async () => (await listedMuted()).includes(cId), 15000, 'page C listing C muted by the host');
    assert.ok(/webrtcroom-audio-muted, participant=\(string\)[^,]+, muted=\(boolean\)true/.test(host.output()));
    host.send(`mute ${cId} 0`);
    await until(true, 'C speaking once the host unmuted it');
    await waitFor(async () => (await listedMuted()).length === 0, 15000, 'page C listing nobody muted by the host');
    // Per-listener volume, with the voice page's sliders: C turns A off,
    // F (Firefox) turns B off; each no longer hears that one (20 dB under
    // the others) while the others still hear it; back at 100 %, heard.
    const ids = Object.fromEntries((await page.evaluate(() => window.roomTest.state())).roster
      .map((p) => [p.name, p.id]));
    const powerOf = (found) => Object.fromEntries(freqs.map((f, i) => [f, found[0].powers[i]]));
    const assertOff = (who, found, off) => {
      const power = powerOf(found);
      const line = freqs.map((f) => `${f} Hz ${power[f].toFixed(1)} dB`).join(', ');
      console.log(`page ${who}, ${off} Hz turned off: ${line}`);
      for (const f of freqs)
        if (f !== off && f !== TONES[who])
          assert.ok(power[f] - power[off] >= 20, `${who}: ${f} Hz at ${power[f].toFixed(1)} dB, ${off} Hz (turned off) at ${power[off].toFixed(1)} dB (${line})`);
    };
    await page.evaluate((id) => window.roomTest.setVolume(id, 0), ids.A);
    await proxy.call('F', 'setVolume', ids.B, 0);
    await waitFor(async () => (host.output().match(/webrtcroom-volume, /g) || []).length >= 2, 15000,
      'the host applying both volumes');
    await new Promise((r) => setTimeout(r, 1000));
    const [offC, offF, offD] = await Promise.all([
      inTime(page.evaluate((f) => window.roomTest.audioPower(f, 2000), freqs), 'C'),
      inTime(proxy.call('F', 'audioPower', freqs, 2000), 'F'),
      inTime(conf.evaluate((f) => window.roomTest.audioPower(f, 2000), freqs), 'D'),
    ]);
    assertOff('C', offC, TONES.A);
    assertOff('F', offF, TONES.B);
    assertPageHears('D', offD);
    assert.equal((await page.evaluate(() => window.roomTest.state())).listedVolumes[ids.A], 0);
    await page.evaluate((id) => window.roomTest.setVolume(id, 1), ids.A);
    await waitFor(async () => (host.output().match(/webrtcroom-volume, /g) || []).length >= 3, 15000,
      'the host applying C\'s volume of A back at 1');
    await new Promise((r) => setTimeout(r, 1000));
    assertPageHears('C', await inTime(page.evaluate((f) => window.roomTest.audioPower(f, 2000), freqs), 'C'));
    await new Promise((r) => setTimeout(r, 2000));
  } finally {
    // Everyone at once: the recordings end with everyone in the room.
    await Promise.all([...members.map((m) => m.stop()), chromium && chromium.close(),
      firefox && firefox.close(), host.stop()]);
    await proxy.close();
  }
  try {
    // The recordings: 2 s that end 1 s before they stopped.
    for (const name of ['A', 'B']) {
      const whole = readWav(join(dir, `${name}.wav`), 0, 1e9);
      assert.ok(whole.seconds >= 5, `${name} recorded ${whole.seconds.toFixed(1)} s`);
      const rec = readWav(join(dir, `${name}.wav`), whole.seconds - 3, whole.seconds - 1);
      const others = Object.entries(TONES).filter(([n]) => n !== name).map(([, f]) => f);
      assertTones(`pipeline ${name} (${TONES[name]} Hz)`, rec, others, [TONES[name]]);
    }
    const mix = readWav(join(dir, 'mix.wav'), 0, 1e9);
    const rec = readWav(join(dir, 'mix.wav'), mix.seconds - 3, mix.seconds - 1);
    assertTones("the host's mix", rec, Object.values(TONES), [NOBODY]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
