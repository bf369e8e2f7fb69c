// Headless Chromium publishes its fake camera and microphone through the
// plugin's publish page (WHIP) into a webrtcsubscribe pipeline: the pipeline
// decodes >= 60 frames of the size the browser sends and receives audio; the
// index lists the ingest stream; closing the tab ends the session at once.
// Runs inside tests/netns-run.sh (see tests/meson.build).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startSubscriber } from './subscriber.mjs';
import { launchChromium } from './chromium.mjs';
import { waitFor } from './proc.mjs';
import { restartedPath } from './icerestart.mjs';


test('Chromium publishes its camera and microphone into the pipeline', async () => {
  const sub = await startSubscriber();
  const browser = await launchChromium();
  const base = `http://127.0.0.1:${sub.port}`;
  try {
    const index = await (await fetch(`${base}/streams.json`)).json();
    const entry = index.streams.find((s) => s.name === 'live');
    assert.equal(entry.whip, '/whip/live');
    assert.equal(entry.publish, '/publish/live');

    const page = await browser.context.newPage();
    page.on('console', (m) => { if (m.type() === 'error') console.log('page:', m.text()); });
    await page.goto(`${base}/publish/live`);
    // Nothing starts by itself: the camera waits for a click.
    await new Promise((r) => setTimeout(r, 1000));
    assert.equal(await page.evaluate(() => window.rtcPublisher.state || 'idle'), 'idle');
    assert.equal(sub.stats() ? sub.stats().connected : 0, 0);
    await page.click('#start');
    await page.waitForFunction(() => window.rtcPublisher.state === 'connected', null,
      { timeout: 30000, polling: 250 }).catch(async (e) => {
      const state = await page.evaluate(() => JSON.stringify(window.rtcPublisher, (k, v) => (k === 'pc' ? undefined : v)));
      throw new Error(`page did not connect: ${state}\n${sub.output().slice(-2000)}`);
    });
    // Frames at the size the browser sends (it may adapt it at first).
    const result = await waitFor(async () => {
      const s = sub.stats();
      const p = await page.evaluate(() => window.rtcPublisher.stats);
      return s && s.video_frames >= 60 && s.audio_buffers >= 20 && s.width > 0
        && s.width === p.width && s.height === p.height ? { s, p } : null;
    }, 60000, `60 frames of the sent size (pipeline ${JSON.stringify(sub.stats())})`);
    console.log('pipeline', JSON.stringify(result.s), 'browser', JSON.stringify(result.p));
    assert.equal(result.s.video_caps, 'video/x-raw');
    assert.equal(result.s.connected, 1);
    assert.deepEqual(result.s.errors, []);
    const live = await (await fetch(`${base}/streams.json`)).json();
    assert.equal(live.streams.find((s) => s.name === 'live').publishers, 1);

    // ICE restart (WHIP PATCH with new credentials): Chromium's checks with
    // the new credentials are answered, and the same session goes on: no new
    // connection in the pipeline, frames keep coming.
    assert.equal(await page.evaluate(() => window.rtcPublisher.restart()), true,
      `the ICE restart was refused:\n${sub.output().slice(-2000)}`);
    console.log('after the ICE restart:', JSON.stringify(await waitFor(
      () => restartedPath(page, 'rtcPublisher'), 30000, 'checks with the new credentials answered')));
    const restartedAt = sub.stats().video_frames;
    await waitFor(() => sub.stats().video_frames >= restartedAt + 60, 30000, '60 frames after the ICE restart');
    assert.equal(sub.stats().connected, 1);
    assert.equal(sub.stats().disconnected, 0);
    assert.equal(await page.evaluate(() => window.rtcPublisher.iceRestarts), 1);

    // Closing the tab DELETEs the session: the pipeline hears at once.
    await page.close({ runBeforeUnload: true });
    await waitFor(() => sub.stats().disconnected >= 1, 10000, 'publisher-disconnected');
    const after = sub.stats().video_frames;
    assert.ok(after >= 60);
  } finally {
    await browser.close();
    await sub.stop();
  }
});

test('the publish page says why the server refused', async () => {
  const sub = await startSubscriber(['auth-token=secret']);
  const browser = await launchChromium();
  const base = `http://127.0.0.1:${sub.port}`;
  try {
    const page = await browser.context.newPage();
    await page.goto(`${base}/publish/live`);
    await page.click('#start');
    await page.waitForFunction(() => window.rtcPublisher.state === 'refused', null,
      { timeout: 30000, polling: 250 });
    const error = await page.evaluate(() => window.rtcPublisher.error);
    assert.match(error, /token/);
    // With the token (in the fragment: never sent to the server) it goes
    // through, and the token leaves the address bar at once.
    await page.goto('about:blank'); // (a fragment alone would not reload the page)
    await page.goto(`${base}/publish/live#token=secret`);
    assert.equal(page.url(), `${base}/publish/live`);
    await page.click('#start');
    await waitFor(() => sub.stats() && sub.stats().video_frames >= 30, 60000, 'frames with the token');
    await page.click('#stop');
    // A token in the query is not read: it has already been sent to the
    // server (and any proxy's log) with the page's request.
    await page.goto(`${base}/publish/live?token=secret`);
    await page.click('#start');
    await page.waitForFunction(() => window.rtcPublisher.state === 'refused', null,
      { timeout: 30000, polling: 250 });
    assert.match(await page.evaluate(() => window.rtcPublisher.error), /#token=/);
  } finally {
    await browser.close();
    await sub.stop();
  }
});
