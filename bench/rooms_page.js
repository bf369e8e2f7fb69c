// In-page side of bench/rooms.mjs, injected into every page (an init script
// on the room pages, evaluated on the direct pair's blank pages) after
// `window.__benchConfig = {fps, label}`. Exposes window.__bench.
//
// Source: getUserMedia is replaced by a 640x360 canvas (captureStream(0),
// one requestFrame() per drawing at `fps`) and a WebAudio tone, so that
// every participant sends the same kind of picture. The top three rows of
// 32x32 blocks (20 a row) carry the wall-clock time of the drawing in ms
// (mod 2^24: 24 blocks) and its complement (24 more): a code that does
// not check is a corrupt or half-updated frame, counted and skipped. The
// blocks stay readable in the room's 320-wide low layer.
//
// Glass-to-glass: requestVideoFrameCallback on every remote <video> (the
// room page's tiles, key: the participant's id; the pair's receiver, key
// 'direct'); the frame is drawn to a small
// canvas, the code read back, and latency = expectedDisplayTime - code
// (both wall clock: performance.timeOrigin + performance.now() in pages of
// one browser on one machine). metadata.receiveTime splits it into
// capture -> last packet received and received -> displayed.
//
// Join: a watcher polls the room client's receivers (only while one is
// not decoding yet) and keeps the first wall-clock time each participant's
// video (framesDecoded > 0) and audio (decoded, not concealed, samples)
// decoded.
(() => {
  const cfg = window.__benchConfig || {};
  const FPS = cfg.fps || 24;
  const W = 640;
  const H = 360;
  const BLOCK = 32;
  const PER_ROW = W / BLOCK;
  const BITS = 24;
  const ROWS = Math.ceil((2 * BITS) / PER_ROW);
  const MOD = 2 ** BITS;
  const wall = () => performance.timeOrigin + performance.now();
  const B = {
    reading: false,
    samples: {}, // remote key -> [[g2g, capture->received, width received], ...]
    bad: {}, // remote key -> frames whose code did not check
    frames: {}, // remote key -> frames presented while reading
    cost: 0, // ms spent reading codes back while reading
    firsts: {}, // "<participant>/<kind>" -> wall ms of its first decoded frame/samples
    joinedAt: null, // wall ms the room client reached 'joined'
    pc: null, // the direct pair's connection on this page
    source: null,
  };
  window.__bench = B;

  // ---- source ----

  // Block i: bit i of the code (MSB first), then block BITS + i: its complement.
  const blockAt = (i) => [(i % PER_ROW) * BLOCK, Math.floor(i / PER_ROW) * BLOCK];
  function paintCode(g, t) {
    g.fillStyle = '#808080';
    g.fillRect(0, 0, W, ROWS * BLOCK);
    for (let i = 0; i < BITS; i++) {
      const bit = (t >>> (BITS - 1 - i)) & 1;
      g.fillStyle = bit ? '#fff' : '#000';
      g.fillRect(...blockAt(i), BLOCK, BLOCK);
      g.fillStyle = bit ? '#000' : '#fff';
      g.fillRect(...blockAt(BITS + i), BLOCK, BLOCK);
    }
  }

  function makeSource() {
    if (B.source) return B.source;
    const canvas = document.createElement('canvas');
    canvas.width = W;
    canvas.height = H;
    const g = canvas.getContext('2d');
    const video = canvas.captureStream(0).getVideoTracks()[0];
    let n = 0;
    const draw = () => {
      n++;
      g.fillStyle = `hsl(${(n * 3) % 360},45%,40%)`;
      g.fillRect(0, 0, W, H);
      for (let i = 0; i < 6; i++) { // moving content, so the encoder has work to do
        g.fillStyle = `hsl(${(i * 60 + n * 5) % 360},80%,60%)`;
        g.fillRect((n * (3 + 2 * i) + i * 97) % (W - 80), 100 + ((n * (2 + i) + i * 41) % (H - 180)), 80, 80);
      }
      g.fillStyle = '#fff';
      g.font = '28px sans-serif';
      g.fillText(`${cfg.label || ''} ${n}`, 20, H - 20);
      paintCode(g, Math.round(wall()) % MOD);
      video.requestFrame();
    };
    draw();
    setInterval(draw, 1000 / FPS);
    const ac = new AudioContext();
    const osc = ac.createOscillator();
    osc.frequency.value = 440 + Math.random() * 200;
    const gain = ac.createGain();
    gain.gain.value = 0.1;
    const dst = ac.createMediaStreamDestination();
    osc.connect(gain).connect(dst);
    osc.start();
    ac.resume().catch(() => {});
    B.source = { video, audio: dst.stream.getAudioTracks()[0] };
    return B.source;
  }

  if (navigator.mediaDevices) {
    navigator.mediaDevices.getUserMedia = async (c) => {
      const s = makeSource();
      const tracks = [];
      if (c && c.video) tracks.push(s.video);
      if (c && c.audio) tracks.push(s.audio);
      return new MediaStream(tracks);
    };
  }

  // ---- glass-to-glass read-back ----

  // One pixel per block (nearest neighbour: the block's centre), so the
  // read-back costs the receiving page little.
  const rb = document.createElement('canvas');
  rb.width = PER_ROW;
  rb.height = ROWS;
  const rg = rb.getContext('2d', { willReadFrequently: true });
  rg.imageSmoothingEnabled = false;
  const lum = (px, x, y) => {
    const i = (y * PER_ROW + x) * 4;
    return 0.299 * px[i] + 0.587 * px[i + 1] + 0.114 * px[i + 2];
  };

  // The code's 2 * BITS blocks as booleans (white), from the frame's luma
  // plane (VideoFrame.copyTo of the top rows only: no conversion to RGB), or
  // through a canvas when the frame is not YUV.
  async function readCode(video, vw, vh) {
    const rows = Math.min(vh & ~1, 2 * Math.ceil((vh * ROWS * BLOCK) / H / 2));
    const centre = (i) => {
      const [x, y] = blockAt(i);
      return [Math.floor(((x + BLOCK / 2) * vw) / W), Math.floor(((y + BLOCK / 2) * vh) / H)];
    };
    let frame = null;
    try {
      frame = new VideoFrame(video);
      if (B.mode !== 'canvas' && /^(I4|NV12)/.test(frame.format || '')) {
        const rect = { x: 0, y: 0, width: frame.codedWidth & ~1, height: rows };
        const buf = new Uint8Array(frame.allocationSize({ rect }));
        const [plane] = await frame.copyTo(buf, { rect });
        return Array.from({ length: 2 * BITS }, (_, i) => {
          const [x, y] = centre(i);
          return buf[plane.offset + y * plane.stride + x] > 128;
        });
      }
    } catch (e) { /* no frame yet, or not copyable: the canvas */ } finally {
      if (frame) frame.close();
    }
    rg.drawImage(video, 0, 0, vw, (vh * ROWS * BLOCK) / H, 0, 0, PER_ROW, ROWS);
    const px = rg.getImageData(0, 0, PER_ROW, ROWS).data;
    return Array.from({ length: 2 * BITS }, (_, i) => lum(px, i % PER_ROW, Math.floor(i / PER_ROW)) > 128);
  }

  async function sample(video, key, meta) {
    const vw = video.videoWidth;
    const vh = video.videoHeight;
    if (!vw || !vh) return;
    B.frames[key] = (B.frames[key] || 0) + 1;
    const t0 = performance.now();
    const bits = await readCode(video, vw, vh);
    B.cost += performance.now() - t0;
    let a = 0;
    let ok = true;
    for (let i = 0; i < BITS; i++) {
      a = a * 2 + (bits[i] ? 1 : 0);
      if (bits[i] === bits[BITS + i]) ok = false;
    }
    if (!ok) {
      B.bad[key] = (B.bad[key] || 0) + 1;
      return;
    }
    const since = (t) => {
      let d = (t % MOD) - a;
      if (d < -MOD / 2) d += MOD;
      return d;
    };
    const g2g = since(performance.timeOrigin + meta.expectedDisplayTime);
    const net = typeof meta.receiveTime === 'number' ? since(performance.timeOrigin + meta.receiveTime) : null;
    if (g2g < 0 || g2g > 10000) {
      B.bad[key] = (B.bad[key] || 0) + 1;
      return;
    }
    (B.samples[key] = B.samples[key] || []).push([g2g, net, vw]);
  }

  function watchVideo(video, key) {
    if (video.__benchKey === key) return;
    const first = video.__benchKey === undefined;
    video.__benchKey = key;
    if (!first) return; // the callback chain already runs; it reads the key
    const cb = (now, meta) => {
      if (B.reading) sample(video, video.__benchKey, meta).catch(() => {});
      video.requestVideoFrameCallback(cb);
    };
    video.requestVideoFrameCallback(cb);
  }

  B.startReading = () => {
    B.cost = 0;
    B.samples = {};
    B.bad = {};
    B.frames = {};
    B.reading = true;
  };
  B.stopReading = () => {
    B.reading = false;
    return { samples: B.samples, bad: B.bad, frames: B.frames, cost: B.cost };
  };

  // The room page's tiles (key: the participant's id).
  setInterval(() => {
    for (const v of document.querySelectorAll('.tile:not(.self) video')) {
      const key = v.closest('.tile').dataset.key;
      if (v.srcObject && key) watchVideo(v, key);
    }
  }, 250);

  // ---- join watcher ----

  const room = () => window.roomTest && window.roomTest.room;
  const firstKey = (t) => `${t.participant}/${t.kind}`;
  (async function watchJoin() {
    for (;;) {
      const r = room();
      if (r && !B.joinedAt && r.state === 'joined') B.joinedAt = wall();
      const pending = r ? r.remoteTracks.filter((t) => !B.firsts[firstKey(t)]) : [];
      for (const t of pending) {
        try {
          (await t.transceiver.receiver.getStats()).forEach((s) => {
            if (s.type !== 'inbound-rtp') return;
            const decoding = t.kind === 'video' ? s.framesDecoded > 0
              : s.totalSamplesReceived - (s.concealedSamples || 0) > 0;
            if (decoding && !B.firsts[firstKey(t)]) B.firsts[firstKey(t)] = wall();
          });
        } catch (e) { /* the receiver went meanwhile */ }
      }
      await new Promise((res) => setTimeout(res, pending.length ? 40 : 100));
    }
  })();

  B.joinState = () => {
    const r = room();
    return { id: r ? r.id : null, state: r ? r.state : 'new', origin: performance.timeOrigin,
      joinedAt: B.joinedAt, firsts: { ...B.firsts } };
  };

  // ---- statistics ----

  // Inbound per remote key and kind, outbound per kind, at wall time `at`;
  // of the room's connection, or (@pair, or no room) the direct pair's.
  B.snapshot = async (pair = false) => {
    const r = pair ? null : room();
    const pc = r ? r.pc : B.pc;
    const out = { at: wall(), inbound: [], outbound: [], codecs: {} };
    if (!pc) return out;
    const keyOf = new Map();
    if (r) for (const t of r.remoteTracks) keyOf.set(t.mid, t.participant);
    const report = await pc.getStats();
    report.forEach((s) => {
      if (s.type === 'codec') out.codecs[s.id] = s.mimeType;
      if (s.type === 'transport' && s.selectedCandidatePairId) {
        const pair = report.get(s.selectedCandidatePairId);
        if (pair) out.available = pair.availableOutgoingBitrate || 0;
      }
    });
    report.forEach((s) => {
      if (s.type === 'inbound-rtp') {
        out.inbound.push({ key: r ? keyOf.get(s.mid) || s.mid : 'direct', kind: s.kind,
          codec: out.codecs[s.codecId] || null, bytes: s.bytesReceived || 0, packets: s.packetsReceived || 0,
          lost: s.packetsLost || 0, frames: s.framesDecoded || 0, width: s.frameWidth || 0,
          height: s.frameHeight || 0, freezes: s.freezeCount || 0, freezeTime: s.totalFreezesDuration || 0,
          jbDelay: s.jitterBufferDelay || 0, jbEmitted: s.jitterBufferEmittedCount || 0,
          nacks: s.nackCount || 0, plis: s.pliCount || 0 });
      } else if (s.type === 'outbound-rtp') {
        out.outbound.push({ kind: s.kind, bytes: s.bytesSent || 0, frames: s.framesEncoded || 0,
          width: s.frameWidth || 0, height: s.frameHeight || 0, limit: s.qualityLimitationReason || null,
          encoder: s.encoderImplementation || null, target: s.targetBitrate || 0 });
      }
    });
    return out;
  };

  // ---- the direct pair ----

  const gathered = (pc) => new Promise((res) => {
    if (pc.iceGatheringState === 'complete') return res();
    pc.addEventListener('icegatheringstatechange', () => {
      if (pc.iceGatheringState === 'complete') res();
    });
  });

  // Sender: the same source as a participant, video codec @mime first.
  B.pairOffer = async (mime) => {
    const s = makeSource();
    const pc = new RTCPeerConnection({ bundlePolicy: 'max-bundle' });
    B.pc = pc;
    const tv = pc.addTransceiver(s.video, { direction: 'sendonly' });
    pc.addTransceiver(s.audio, { direction: 'sendonly' });
    if (mime) {
      const all = RTCRtpSender.getCapabilities('video').codecs;
      tv.setCodecPreferences([...all.filter((c) => c.mimeType === mime), ...all.filter((c) => c.mimeType !== mime)]);
    }
    await pc.setLocalDescription(await pc.createOffer());
    await gathered(pc);
    return pc.localDescription.sdp;
  };
  B.pairAnswer = async (sdp) => {
    const pc = new RTCPeerConnection({ bundlePolicy: 'max-bundle' });
    B.pc = pc;
    pc.ontrack = (e) => {
      const el = document.createElement(e.track.kind);
      el.autoplay = true;
      el.muted = e.track.kind === 'video';
      el.srcObject = new MediaStream([e.track]);
      document.body.append(el);
      el.play().catch(() => {});
      if (e.track.kind === 'video') watchVideo(el, 'direct');
    };
    await pc.setRemoteDescription({ type: 'offer', sdp });
    await pc.setLocalDescription(await pc.createAnswer());
    await gathered(pc);
    return pc.localDescription.sdp;
  };
  B.pairFinish = (sdp) => B.pc.setRemoteDescription({ type: 'answer', sdp });
  B.pairClose = () => {
    if (B.pc) B.pc.close();
    B.pc = null;
    for (const el of document.querySelectorAll('body > video, body > audio')) {
      el.srcObject = null;
      el.remove();
    }
  };
  B.pairDecoding = async () => {
    let ok = { video: false, audio: false };
    (await B.pc.getStats()).forEach((s) => {
      if (s.type === 'inbound-rtp' && s.kind === 'video' && s.framesDecoded > 0) ok.video = true;
      if (s.type === 'inbound-rtp' && s.kind === 'audio' && s.packetsReceived > 0) ok.audio = true;
    });
    return ok.video && ok.audio;
  };
})();
