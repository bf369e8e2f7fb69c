// The debug page (/debug): headless Chromium opens it while two of its own
// viewer pages play a stream that has a token. Without the token the page
// shows /stats.json's 401; with it, both sessions are listed as connected,
// their graphs' pixels change from one second to the next, and the
// candidate pair table shows the selected pair (host candidates here).
// Runs inside tests/netns-run.sh (see tests/meson.build).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startPublisher } from './publisher.mjs';
import { launchChromium } from './chromium.mjs';
import { waitFor } from './proc.mjs';

test('the debug page lists and graphs every session, behind the token', { timeout: 150000 }, async () => {
  const pub = await startPublisher([
    'videotestsrc', 'is-live=true', '!', 'video/x-raw,width=320,height=240,framerate=30/1', '!',
    'webrtcpublish', 'name=pub', 'port=0', 'auth-token=s3cret',
    'audiotestsrc', 'is-live=true', '!', 'pub.',
  ]);
  const browser = await launchChromium();
  const base = `http://127.0.0.1:${pub.port}`;
  try {
    const viewers = [];
    for (let i = 0; i < 2; i++) {
      const page = await browser.context.newPage();
      await page.goto(`${base}/view/live#token=s3cret`);
      viewers.push(page);
    }
    for (const page of viewers)
      await page.waitForFunction(() => window.rtcViewer && window.rtcViewer.stats
        && window.rtcViewer.stats.framesDecoded > 30, null, { timeout: 60000, polling: 250 });

    const denied = await browser.context.newPage();
    await denied.goto(`${base}/debug`);
    await denied.waitForFunction(() => window.rtcDebug && window.rtcDebug.error, null,
      { timeout: 20000, polling: 250 });
    const error = await denied.evaluate(() => window.rtcDebug.error);
    assert.match(error, /401/);
    assert.equal(await denied.evaluate(() => window.rtcDebug.sessions.size), 0);
    await denied.close();

    const page = await browser.context.newPage();
    page.on('console', (m) => { if (m.type() === 'error') console.log('page:', m.text()); });
    await page.goto(`${base}/debug#token=s3cret`);
    const connected = () => page.evaluate(() => [...window.rtcDebug.sessions.values()]
      .filter((d) => d.last && d.last.state === 'connected').length);
    await waitFor(async () => (await connected()) === 2, 30000, 'two connected sessions on the page');
    // The token left the address bar (token.js).
    assert.ok(!page.url().includes('s3cret'), page.url());

    // Pixels of each graph change as new samples come.
    const pixels = () => page.evaluate(() => [...document.querySelectorAll('.debug-session canvas')]
      .map((c) => c.toDataURL()));
    const before = await pixels();
    assert.equal(before.length, 2);
    await waitFor(async () => {
      const now = await pixels();
      return now.length === 2 && now.every((p, i) => p !== before[i]);
    }, 15000, 'both graphs to change');

    const rows = await page.evaluate(() => [...document.querySelectorAll('.debug-session .pair')]
      .map((td) => td.textContent));
    console.log('candidate pairs:', JSON.stringify(rows));
    assert.equal(rows.length, 2);
    for (const r of rows) assert.match(r, /^host udp \S+ ⇄ (host|prflx) udp \S+$/);
    const stats = await page.evaluate(() => [...window.rtcDebug.sessions.values()].map((d) => d.last));
    for (const s of stats) {
      assert.ok(s['bytes-sent'] > 10000, JSON.stringify(s));
      assert.equal(s.codecs, 'VP8,OPUS');
    }

    // A viewer leaves: its block goes.
    await viewers[0].close({ runBeforeUnload: true });
    await waitFor(async () => (await page.evaluate(() => window.rtcDebug.sessions.size)) === 1,
      30000, 'the debug page to drop the session that ended');
  } finally {
    await browser.close();
    await pub.stop();
  }
});
