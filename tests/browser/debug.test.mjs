// The debug page (/debug): headless Chromium opens it while two of its own
// viewer pages play a stream that has a token. Without the token the page
// shows /stats.json's 401; with it, both sessions are listed as connected,
// their graphs' pixels change from one second to the next, the candidate
// pair table shows the selected pair (host candidates here), and the SDP
// exchanged is there with the ICE passwords hidden. What each viewer
// received (its own getStats) and what /stats.json says its session sent
// agree within 5 %. Headless Firefox shows the same page with both sessions.
// Runs inside tests/netns-run.sh (see tests/meson.build).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startPublisher } from './publisher.mjs';
import { launchChromium } from './chromium.mjs';
import { launchFirefox } from './firefox.mjs';
import { waitFor } from './proc.mjs';

// In the page: each session graph's pixels.
const PIXELS = () => [...document.querySelectorAll('.debug-session canvas')].map((c) => c.toDataURL());

// Resolves once both graphs' pixels (@pixels ()) differ from what they were.
async function graphsChange(pixels, what) {
  const before = await pixels();
  assert.equal(before.length, 2);
  await waitFor(async () => {
    const now = await pixels();
    return now.length === 2 && now.every((p, i) => p !== before[i]);
  }, 15000, what);
}

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
    await graphsChange(() => page.evaluate(PIXELS), 'both graphs to change');

    const rows = await page.evaluate(() => [...document.querySelectorAll('.debug-session .pair')]
      .map((td) => td.textContent));
    console.log('candidate pairs:', JSON.stringify(rows));
    assert.equal(rows.length, 2);
    for (const r of rows) assert.match(r, /^host udp \S+ ⇄ (host|prflx) udp \S+$/);
    // Both sides' candidates, and the states each session went through.
    const more = await page.evaluate(() => [...document.querySelectorAll('.debug-session')].map((b) => ({
      local: b.querySelector('.local-candidates').textContent,
      remote: b.querySelector('.remote-candidates').textContent,
      states: b.querySelector('.states').textContent })));
    for (const m of more) {
      assert.match(m.local, /host udp 10\.213\.0\.1:\d+/, JSON.stringify(m));
      assert.match(m.remote, /host udp 10\.213\.0\.1:\d+/, JSON.stringify(m));
      assert.match(m.states, /connected \(ICE (connected|completed)\)/, JSON.stringify(m));
    }
    const stats = await page.evaluate(() => [...window.rtcDebug.sessions.values()].map((d) => d.last));
    for (const s of stats) {
      assert.ok(s['bytes-sent'] > 10000, JSON.stringify(s));
      assert.equal(s.codecs, 'VP8,OPUS');
    }

    // The SDP exchanged: ours and each viewer's, its ICE password hidden.
    const sdps = await page.evaluate(() => [...window.rtcDebug.sessions.values()]
      .map((d) => ({ local: d.local.textContent, remote: d.remote.textContent })));
    const ufrags = [];
    for (const v of viewers)
      ufrags.push(await v.evaluate(() => window.rtcViewer.pc.localDescription.sdp.match(/a=ice-ufrag:(\S+)/)[1]));
    for (const x of sdps) {
      assert.match(x.local, /^v=0\r?\n/);
      assert.match(x.local, /\nm=video /);
      assert.match(x.remote, /\nm=video /);
      assert.match(x.local + x.remote, /a=ice-pwd:\(hidden\)/);
      assert.doesNotMatch(x.local + x.remote, /a=ice-pwd:(?!\(hidden\))/);
    }
    for (const u of ufrags)
      assert.equal(sdps.filter((x) => x.remote.includes(`a=ice-ufrag:${u}\r\n`)).length, 1,
        `one session has viewer ${u}'s SDP`);

    // Bytes: what /stats.json says a session sent, read between two readings
    // of what its viewer received (RTP payload bytes on both sides).
    const received = (v) => v.evaluate(async () => {
      let bytes = 0;
      (await window.rtcViewer.pc.getStats()).forEach((r) => {
        if (r.type === 'inbound-rtp') bytes += r.bytesReceived || 0;
      });
      return bytes;
    });
    for (let i = 0; i < viewers.length; i++) {
      const before = await received(viewers[i]);
      const r = await fetch(`${base}/stats.json?details=1`, { headers: { Authorization: 'Bearer s3cret' } });
      const after = await received(viewers[i]);
      const session = (await r.json()).streams[0].sessions
        .find((x) => (x['remote-sdp'] || '').includes(`a=ice-ufrag:${ufrags[i]}\r\n`));
      assert.ok(session, `viewer ${i}'s session in /stats.json`);
      const sent = session['bytes-sent'];
      console.log(`viewer ${i}: received ${before}..${after} bytes, its session sent ${sent}; ` +
        `connected after ${session['connect-time']} s, media after ${session['first-media-time']} s`);
      assert.ok(session['first-media-time'] >= session['connect-time'], JSON.stringify(session));
      assert.ok(before > 100000, `viewer ${i} received ${before} bytes`);
      assert.ok(sent >= before * 0.95 && sent <= after * 1.05,
        `viewer ${i}: sent ${sent} vs received ${before}..${after}`);
    }

    // Firefox shows the same: both sessions connected, its graphs drawn.
    const ff = launchFirefox(`${base}/debug#token=s3cret`);
    try {
      const ffConnected = async () => {
        try {
          return await ff.evaluate(`window.rtcDebug ? [...window.rtcDebug.sessions.values()]
            .filter((d) => d.last && d.last.state === 'connected').length : 0`);
        } catch (e) {
          return 0; // not loaded yet
        }
      };
      await waitFor(async () => (await ffConnected()) === 2, 60000,
        "Firefox's debug page to list two connected sessions").catch((e) => {
        console.log('Firefox said:', ff.output());
        throw e;
      });
      await graphsChange(async () => JSON.parse(await ff.evaluate(`JSON.stringify((${PIXELS})())`)),
        "both of Firefox's graphs to change");
      assert.match(await ff.evaluate(`document.querySelector('.debug-session .pair').textContent`),
        /^host udp \S+ ⇄ (host|prflx) udp \S+$/);
    } finally {
      await ff.close();
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
