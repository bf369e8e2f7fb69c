// Headless Firefox and a webrtcpublish pipeline (tests/peers/datapeer.py)
// over data channels, with the plugin's own browser library
// (/static/whep.js, /static/data.js) on a page of another origin: 1,000
// ordered messages each way, binary, and a 2 MB file each way checked by
// SHA-256. Firefox reports to this test over HTTP (playwright-core cannot
// drive it). Runs inside tests/netns-run.sh (see tests/meson.build).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { createHash } from 'node:crypto';
import { startDataPeer } from './datapeer.mjs';
import { launchFirefox } from './firefox.mjs';

const N = 1000;
const FILE = 2 * 1024 * 1024;

const page = (base) => `<!DOCTYPE html><video id=v autoplay muted playsinline></video>
<script src="${base}/static/whep.js"></script><script src="${base}/static/data.js"></script><script>
(async () => {
  const state = { open: false, down: 0, inOrder: true, binary: 0, files: [], errors: [], upDone: false };
  const report = () => fetch('/report', { method: 'POST', body: JSON.stringify(state) }).catch(() => {});
  try {
    const pc = new RTCPeerConnection({ bundlePolicy: 'max-bundle' });
    // Where it stands, while it waits (shown when the test times out).
    const progress = setInterval(() => {
      state.stage = { ice: pc.iceConnectionState, conn: pc.connectionState,
        sctp: pc.sctp ? pc.sctp.state : null, channels: ['chat', 'file', 'telemetry'].map((l) => data.isOpen(l)) };
      if (!state.open) report();
    }, 1000);
    pc.addTransceiver('video', { direction: 'recvonly' });
    const data = new RtcData(pc, [{ label: 'chat' }, { label: 'file' }, { label: 'telemetry' }]);
    data.on('chat', (m) => {
      if (!m.startsWith('ff-down-')) return;
      if (Number(m.slice(8)) !== state.down) state.inOrder = false;
      state.down++;
    });
    data.on('telemetry', (m) => { state.binary += m.byteLength; });
    const files = new FileTransfer(data, 'file');
    files.on('file', (f) => state.files.push({ name: f.name, size: f.size, sha256: f.sha256, ok: f.ok }));
    files.on('error', (e) => state.errors.push(e));
    await new WhepClient('${base}/whep/live').connect(pc);
    while (!(data.isOpen('chat') && data.isOpen('file') && data.isOpen('telemetry')))
      await new Promise((r) => setTimeout(r, 100));
    state.open = true;
    clearInterval(progress);
    report();
    setInterval(report, 500);
    for (let i = 0; i < ${N}; i++) await data.send('chat', 'ff-up-' + i);
    await data.send('telemetry', new Uint8Array(5000).fill(3));
    const body = new Uint8Array(${FILE});
    for (let i = 0; i < body.length; i++) body[i] = (i * 7) & 255;
    state.upSha = await files.send(new Blob([body]), 'ff.bin');
    state.upDone = true;
  } catch (e) {
    state.errors.push(String(e && e.message || e));
    report();
  }
})();
</script>`;

test('Firefox exchanges messages and files with the pipeline', { timeout: 180000 }, async () => {
  // allowed-origins: the page comes from the test's own server, another origin.
  const peer = await startDataPeer(['allowed-origins=*']);
  const base = `http://127.0.0.1:${peer.port}`;
  let last = {};
  const server = createServer((req, res) => {
    if (req.method === 'POST') {
      let body = '';
      req.on('data', (c) => { body += c; });
      req.on('end', () => { res.end('ok'); last = JSON.parse(body); });
      return;
    }
    res.setHeader('Content-Type', 'text/html');
    res.end(page(base));
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const ff = launchFirefox(`http://127.0.0.1:${server.address().port}/`);
  const until = async (fn, ms, what) => {
    const end = Date.now() + ms;
    while (!(await fn())) {
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(last)}\n${peer.output().slice(-1500)}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  };
  try {
    await until(() => last.open || last.errors?.length, 60000, 'Firefox to open its channels');
    assert.deepEqual(last.errors, []);
    const sent = await peer.command({ cmd: 'send-file', label: 'file', size: FILE, name: 'down.bin' });
    assert.ok((await peer.command({ cmd: 'send-many', label: 'chat', n: N, prefix: 'ff-down-' })).ok);
    assert.ok((await peer.command({ cmd: 'send', label: 'telemetry', size: 3000 })).ok);
    await until(() => last.down >= N && last.files?.length >= 1 && last.binary >= 3000 && last.upDone,
      60000, 'Firefox to receive');
    console.log('firefox:', JSON.stringify(last));
    assert.equal(last.down, N);
    assert.ok(last.inOrder);
    assert.equal(last.binary, 3000);
    assert.deepEqual(last.files[0], { name: 'down.bin', size: FILE, sha256: sent.sha256, ok: true });
    // And the other way.
    const expect = Buffer.alloc(FILE);
    for (let i = 0; i < FILE; i++) expect[i] = (i * 7) & 255;
    const sha = createHash('sha256').update(expect).digest('hex');
    assert.equal(last.upSha, sha);
    const got = await peer.waitEvent((e) => e.type === 'file' && e.name === 'ff.bin', 'the file from Firefox', 60000);
    assert.equal(got.sha256, sha);
    assert.equal(got.ok, true);
    let st;
    await until(async () => {
      st = (await peer.command({ cmd: 'stats' })).stats;
      const c = st.find((s) => s.label === 'chat');
      return c && c.texts >= N;
    }, 30000, 'the pipeline to receive');
    const chat = st.find((s) => s.label === 'chat');
    assert.equal(chat.texts, N);
    assert.ok(chat.in_order);
    assert.equal(st.find((s) => s.label === 'telemetry').bytes, 5000);
  } finally {
    await ff.close();
    server.close();
    await peer.stop();
  }
});
