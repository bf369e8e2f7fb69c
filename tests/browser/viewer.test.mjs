// Headless Chromium opens the plugin's own viewer page and plays the stream:
// frames are decoded at the published size, audio bytes arrive, an ICE
// restart keeps the session and the video, the index lists the stream, and
// closing the tab frees the viewer's session.
// Runs inside tests/netns-run.sh (see tests/meson.build).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startPublisher } from './publisher.mjs';
import { launchChromium } from './chromium.mjs';
import { waitFor } from './proc.mjs';
import { restartedPath } from './icerestart.mjs';

const WIDTH = 640;
const HEIGHT = 360;

function launchLine(extra = []) {
  return [
    'videotestsrc', 'is-live=true', '!', `video/x-raw,width=${WIDTH},height=${HEIGHT},framerate=30/1`, '!',
    'webrtcpublish', 'name=pub', 'port=0', ...extra,
    'audiotestsrc', 'is-live=true', '!', 'pub.',
  ];
}

async function viewers(base) {
  const r = await fetch(`${base}/streams.json`);
  const j = await r.json();
  const s = j.streams.find((x) => x.name === 'live');
  return s ? s.viewers : -1;
}


async function playAndCheck(codecPrefs, expectCodec) {
  const pub = await startPublisher(launchLine([`codec-preferences=${codecPrefs}`]));
  const browser = await launchChromium();
  const base = `http://127.0.0.1:${pub.port}`;
  try {
    const page = await browser.context.newPage();
    page.on('console', (m) => { if (m.type() === 'error') console.log('page:', m.text()); });
    await page.goto(`${base}/view/live`);
    try {
      await page.waitForFunction(() => window.rtcViewer && window.rtcViewer.stats
        && window.rtcViewer.stats.framesDecoded > 60, null, { timeout: 60000, polling: 250 });
    } catch (e) {
      const state = await page.evaluate(() => JSON.stringify({
        state: window.rtcViewer.state, error: window.rtcViewer.error, stats: window.rtcViewer.stats,
      })).catch(() => 'page gone');
      console.log('viewer page state:', state);
      console.log('publisher output:', pub.output().slice(-3000));
      throw e;
    }
    const s = await page.evaluate(() => window.rtcViewer.stats);
    console.log(`${codecPrefs}:`, JSON.stringify(s));
    assert.equal(s.width, WIDTH);
    assert.equal(s.height, HEIGHT);
    assert.ok(s.codec && s.codec.toUpperCase().includes(expectCodec), `codec ${s.codec}`);
    await page.waitForFunction(() => window.rtcViewer.stats.audioBytes > 2000, null,
      { timeout: 20000, polling: 250 });
    // framesDecoded keeps growing: the stream is live, not one frame.
    const before = s.framesDecoded;
    await page.waitForFunction((b) => window.rtcViewer.stats.framesDecoded > b + 30, before,
      { timeout: 20000, polling: 250 });
    // The indicator (quality.js) on a clean local link.
    await page.waitForFunction(() => window.rtcViewer.stats.quality === 'good', null,
      { timeout: 10000, polling: 250 });
    assert.equal(await page.evaluate(() => document.getElementById('quality').className), 'quality good');

    // ICE restart on the same session (a PATCH with new credentials, as
    // the page does when its path breaks): the server answers with new
    // credentials of its own, Chromium's checks with the new ones succeed
    // (its transport reports them and a selected pair that got answers),
    // the session is still the one and the video goes on.
    const remoteUfrag = () => page.evaluate(() =>
      (window.rtcViewer.pc.remoteDescription.sdp.match(/a=ice-ufrag:(\S+)/) || [])[1]);
    const oldUfrag = await remoteUfrag();
    assert.equal(await page.evaluate(() => window.rtcViewer.restart()), true,
      `the ICE restart was refused:\n${pub.output().slice(-2000)}`);
    assert.notEqual(await remoteUfrag(), oldUfrag);
    const path = await waitFor(() => restartedPath(page, 'rtcViewer'), 30000,
      'checks with the new credentials answered');
    console.log('after the ICE restart:', JSON.stringify(path));
    assert.equal(await viewers(base), 1);
    assert.equal(await page.evaluate(() => window.rtcViewer.iceRestarts), 1);
    const restartedAt = await page.evaluate(() => window.rtcViewer.stats.framesDecoded);
    await page.waitForFunction((b) => window.rtcViewer.stats.framesDecoded > b + 30, restartedAt,
      { timeout: 20000, polling: 250 });

    // The index lists the stream with its viewer.
    const index = await browser.context.newPage();
    await index.goto(`${base}/`);
    await index.waitForSelector('a[href="/view/live"]', { timeout: 10000 });
    assert.equal(await viewers(base), 1);

    // Closing the tab ends the session (pagehide DELETE, or RTCP timeout).
    await page.close({ runBeforeUnload: true });
    await waitFor(async () => (await viewers(base)) === 0, 20000, 'the session to end');
    assert.equal(pub.proc.exitCode, null, 'the publisher stopped');
  } finally {
    await browser.close();
    await pub.stop();
  }
}

test('Chromium plays VP8 + Opus from the viewer page', { timeout: 150000 }, async () => {
  await playAndCheck('VP8,OPUS', 'VP8');
});

test('Chromium plays H.264 + Opus from the viewer page', { timeout: 150000 }, async () => {
  await playAndCheck('H264,OPUS', 'H264');
});
