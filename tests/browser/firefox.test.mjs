// Headless Firefox watches webrtcpublish with the plugin's own WHEP client
// (/static/whep.js) from a page on another origin (CORS), reports its stats
// to this test over HTTP, restarts ICE on its session (a PATCH with new
// credentials; the video goes on), and when Firefox is killed (no DELETE, no
// BYE) the publisher notices the silence and frees the session.
// Runs inside tests/netns-run.sh (see tests/meson.build).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { startPublisher } from './publisher.mjs';
import { launchFirefox } from './firefox.mjs';

const page = (base) => `<!DOCTYPE html><video id=v autoplay muted playsinline></video>
<script src="${base}/static/whep.js"></script><script>
(async () => {
  const report = (o) => fetch('/report', { method: 'POST', body: JSON.stringify(o) });
  try {
    const pc = new RTCPeerConnection({ bundlePolicy: 'max-bundle' });
    pc.addTransceiver('video', { direction: 'recvonly' });
    pc.addTransceiver('audio', { direction: 'recvonly' });
    const stream = new MediaStream();
    document.getElementById('v').srcObject = stream;
    pc.ontrack = (e) => stream.addTrack(e.track);
    window.client = new WhepClient('${base}/whep/live');
    await window.client.connect(pc);
    setInterval(async () => {
      const s = { framesDecoded: 0, width: 0, height: 0, audioBytes: 0, state: pc.connectionState,
        ice: pc.iceConnectionState,
        remoteUfrag: (pc.remoteDescription.sdp.match(/a=ice-ufrag:(\\S+)/) || [])[1] };
      (await pc.getStats()).forEach((r) => {
        if (r.type === 'inbound-rtp' && r.kind === 'video') {
          s.framesDecoded = r.framesDecoded || 0;
          s.width = r.frameWidth || 0;
          s.height = r.frameHeight || 0;
        }
        if (r.type === 'inbound-rtp' && r.kind === 'audio') s.audioBytes = r.bytesReceived || 0;
      });
      report(s);
    }, 500);
  } catch (e) {
    report({ error: String(e && e.message || e) });
  }
})();
</script>`;

async function viewers(base) {
  const j = await (await fetch(`${base}/streams.json`)).json();
  const s = j.streams.find((x) => x.name === 'live');
  return s ? s.viewers : -1;
}

test('Firefox plays VP8 + Opus over WHEP; a vanished Firefox is noticed', { timeout: 150000 }, async () => {
  const pub = await startPublisher([
    'videotestsrc', 'is-live=true', '!', 'video/x-raw,width=640,height=360,framerate=30/1', '!',
    // allowed-origins: the page comes from the test's own server, another origin.
    'webrtcpublish', 'name=pub', 'port=0', 'viewer-timeout=5000', 'allowed-origins=*',
    'audiotestsrc', 'is-live=true', '!', 'pub.',
  ]);
  const base = `http://127.0.0.1:${pub.port}`;
  let last = null;
  let done;
  const good = new Promise((r) => { done = r; });
  const server = createServer((req, res) => {
    if (req.method === 'POST') {
      let body = '';
      req.on('data', (c) => { body += c; });
      req.on('end', () => {
        res.end('ok');
        last = JSON.parse(body);
        if (last.error || (last.framesDecoded > 60 && last.audioBytes > 2000)) done();
      });
      return;
    }
    res.setHeader('Content-Type', 'text/html');
    res.end(page(base));
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const ff = launchFirefox(`http://127.0.0.1:${server.address().port}/`);
  try {
    await Promise.race([good, new Promise((_, rej) => setTimeout(
      () => rej(new Error('Firefox did not play: ' + JSON.stringify(last) + '\n' + pub.output().slice(-2000))), 90000))]);
    console.log('firefox:', JSON.stringify(last));
    assert.equal(last.error, undefined);
    assert.equal(last.width, 640);
    assert.equal(last.height, 360);
    assert.equal(await viewers(base), 1);

    // ICE restart (PATCH with new credentials, from another origin): the
    // server's credentials change, the session stays the one, video goes on.
    const before = last;
    assert.equal(await ff.evaluate('window.client.restartIce()'), true,
      `the ICE restart was refused:\n${pub.output().slice(-2000)}`);
    const end0 = Date.now() + 30000;
    while (!(last.remoteUfrag !== before.remoteUfrag && last.ice === 'connected'
      && last.framesDecoded > before.framesDecoded + 60)) {
      assert.ok(Date.now() < end0, `no video after the ICE restart: ${JSON.stringify(last)}`);
      await new Promise((r) => setTimeout(r, 250));
    }
    console.log('after the ICE restart:', JSON.stringify(last));
    assert.equal(await viewers(base), 1);

    await ff.close(); // gone without a word: no DELETE, no RTCP BYE
    const end = Date.now() + 30000;
    while (await viewers(base) !== 0) {
      assert.ok(Date.now() < end, 'the silent viewer was never removed');
      await new Promise((r) => setTimeout(r, 500));
    }
    assert.match(pub.output(), /no RTCP or data from the viewer/);
  } finally {
    await ff.close();
    server.close();
    await pub.stop();
  }
});
