// audiotest.js: what a room page hears, measured for tests (served at
// /static/audiotest.js; the pages' window.roomTest.audioPower uses it).

// @ms of @track's audio (the first channel): through WebAudio where an
// AudioContext runs (Chromium, which feeds a remote track to it only while
// a media element plays it); where none runs (a headless Firefox without
// an audio output), recorded with MediaRecorder and decoded offline.
export async function recordAudio(track, ms) {
  const atMost = (p, t = 1000) => Promise.race([p.catch(() => {}), new Promise((r) => setTimeout(r, t))]);
  const el = new Audio();
  el.srcObject = new MediaStream([track]);
  el.muted = true;
  await atMost(el.play());
  const ac = new AudioContext();
  await atMost(ac.resume());
  if (ac.state === 'running') {
    const src = ac.createMediaStreamSource(new MediaStream([track]));
    const proc = ac.createScriptProcessor(4096, 1, 1);
    const chunks = [];
    proc.onaudioprocess = (e) => chunks.push(Float32Array.from(e.inputBuffer.getChannelData(0)));
    src.connect(proc);
    proc.connect(ac.destination);
    await new Promise((r) => setTimeout(r, ms));
    src.disconnect();
    proc.disconnect();
    const rate = ac.sampleRate;
    await atMost(ac.close());
    el.srcObject = null;
    const samples = new Float32Array(chunks.reduce((n, c) => n + c.length, 0));
    let at = 0;
    for (const c of chunks) { samples.set(c, at); at += c.length; }
    return { samples, rate };
  }
  await atMost(ac.close());
  el.srcObject = null;
  const rec = new MediaRecorder(new MediaStream([track]));
  const parts = [];
  rec.ondataavailable = (e) => parts.push(e.data);
  const stopped = new Promise((r) => { rec.onstop = r; });
  rec.start();
  await new Promise((r) => setTimeout(r, ms));
  rec.stop();
  await stopped;
  const bytes = await new Blob(parts, { type: rec.mimeType }).arrayBuffer();
  const decoded = await new OfflineAudioContext(1, 48000, 48000).decodeAudioData(bytes);
  const all = decoded.getChannelData(0);
  // Without the encoder's start.
  return { samples: all.subarray(Math.min(all.length, Math.floor(decoded.sampleRate / 4))), rate: decoded.sampleRate };
}

// Each remote audio track of @room (a RoomClient) as the page hears it:
// the power (dB) at each of @freqs over @ms of it (Goertzel), by participant.
export async function audioPower(room, freqs, ms = 1500) {
  const out = [];
  for (const entry of (room ? room.remoteTracks : []).filter((e) => e.kind === 'audio')) {
    const { samples, rate } = await recordAudio(entry.track, ms);
    const powers = freqs.map((f) => {
      const k = 2 * Math.cos((2 * Math.PI * f) / rate);
      let s1 = 0;
      let s2 = 0;
      for (const x of samples) { const s0 = x + k * s1 - s2; s2 = s1; s1 = s0; }
      return 10 * Math.log10(s1 * s1 + s2 * s2 - k * s1 * s2 + 1e-9);
    });
    out.push({ participant: entry.participant, samples: samples.length, rate, powers });
  }
  return out;
}
