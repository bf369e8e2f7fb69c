// Captures real browsers' recvonly offers (video + audio) as test fixtures.
//   node capture-offer.mjs chromium|chromium-h264|firefox OUT.sdp
// Run inside tests/netns-run.sh so that candidates are test addresses.
// chromium-h264 restricts the video codecs with setCodecPreferences to
// H.264 640c1f then 42e01f, packetization-mode=1: the list Safari 12 offered.
import { createServer } from 'node:http';
import { writeFileSync } from 'node:fs';
import { launchChromium } from './chromium.mjs';
import { launchFirefox } from './firefox.mjs';

const [kind, out] = process.argv.slice(2);
const page = (h264Only) => `<!DOCTYPE html><script>
(async () => {
  const pc = new RTCPeerConnection({ bundlePolicy: 'max-bundle' });
  const v = pc.addTransceiver('video', { direction: 'recvonly' });
  pc.addTransceiver('audio', { direction: 'recvonly' });
  if (${h264Only}) {
    const caps = RTCRtpReceiver.getCapabilities('video').codecs;
    const pick = (plid) => caps.filter((c) => c.mimeType === 'video/H264'
      && c.sdpFmtpLine.includes('packetization-mode=1') && c.sdpFmtpLine.includes('profile-level-id=' + plid));
    v.setCodecPreferences([...pick('640c1f'), ...pick('64001f'), ...pick('4d001f'), ...pick('42e01f')]);
  }
  await pc.setLocalDescription(await pc.createOffer());
  await new Promise((r) => {
    if (pc.iceGatheringState === 'complete') return r();
    pc.onicegatheringstatechange = () => pc.iceGatheringState === 'complete' && r();
    setTimeout(r, 3000);
  });
  await fetch('/offer', { method: 'POST', body: pc.localDescription.sdp });
  document.title = 'done';
})();
</script>`;

const got = new Promise((resolve) => {
  const server = createServer((req, res) => {
    if (req.method === 'POST') {
      let body = '';
      req.on('data', (c) => { body += c; });
      req.on('end', () => { res.end('ok'); server.close(); resolve(body); });
      return;
    }
    res.setHeader('Content-Type', 'text/html');
    res.end(page(kind === 'chromium-h264'));
  });
  server.listen(0, '127.0.0.1', () => start(server.address().port));
});

let stop = async () => {};
async function start(port) {
  const url = `http://127.0.0.1:${port}/`;
  if (kind.startsWith('chromium')) {
    const b = await launchChromium();
    const p = await b.context.newPage();
    await p.goto(url);
    stop = b.close;
  } else {
    const ff = launchFirefox(url);
    stop = ff.close;
  }
}

const sdp = await Promise.race([got, new Promise((_, rej) => setTimeout(() => rej(new Error('no offer')), 60000))]);
writeFileSync(out, sdp);
await stop();
console.log(`${kind}: ${sdp.split('\n').length} lines -> ${out}`);
process.exit(0);
