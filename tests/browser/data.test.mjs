// Headless Chromium's viewer page <-> a webrtcpublish pipeline over data
// channels (tests/peers/datapeer.py): text and binary both ways, 10,000
// ordered messages, 20 MB files each way checked by SHA-256 (the page's
// file panel), several channels at once, per-session routing, a session
// leaving mid-transfer, oversized and malformed messages, and a click on
// the video arriving upstream as a navigation event.
// Runs inside tests/netns-run.sh (see tests/meson.build).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { startDataPeer } from './datapeer.mjs';
import { launchChromium } from './chromium.mjs';
import { waitFor } from './proc.mjs';

const MB = 1024 * 1024;

async function openViewer(browser, base) {
  const page = await browser.context.newPage();
  page.on('console', (m) => { if (m.type() === 'error') console.log('page:', m.text()); });
  await page.goto(`${base}/view/live`);
  await page.waitForFunction(() => {
    const d = window.rtcViewer && window.rtcViewer.data;
    return d && d.isOpen('chat') && d.isOpen('file') && d.isOpen('telemetry') && d.isOpen('navigation')
      && window.rtcViewer.stats.framesDecoded > 0;
  }, null, { timeout: 60000, polling: 200 });
  return page;
}

function statsFor(stats, session, label) {
  return stats.stats.find((s) => s.session === session && s.label === label)
    || { texts: 0, bytes: 0, binary: 0, in_order: true };
}


// The session id of @page: it says who it is on chat.
async function sessionOf(peer, page, name) {
  await page.evaluate((n) => window.rtcViewer.data.send('chat', `I am ${n}`), name);
  return waitFor(async () => {
    const st = (await peer.command({ cmd: 'stats' }));
    const e = st.stats.find((s) => s.label === 'chat' && s.last === `I am ${name}`);
    return e && e.session;
  }, 10000, `${name}'s session`);
}

test('text and binary both ways, 10,000 ordered messages, several channels at once', { timeout: 180000 }, async () => {
  const peer = await startDataPeer();
  const browser = await launchChromium();
  try {
    const page = await openViewer(browser, `http://127.0.0.1:${peer.port}`);
    // The page opened the stream's channels; the pipeline did not open
    // duplicates of its own after its grace period.
    await new Promise((r) => setTimeout(r, 1500));
    const channels = await page.evaluate(() => Object.fromEntries(
      [...window.rtcViewer.data.channels].map(([l, list]) => [l, list.length])));
    assert.deepEqual(channels, { chat: 1, file: 1, telemetry: 1, navigation: 1 });
    const session = await sessionOf(peer, page, 'page');

    // Pipeline -> page on chat (text) and telemetry (binary) at once.
    const [r1, r2] = await Promise.all([
      peer.command({ cmd: 'send-many', label: 'chat', n: 10000, prefix: 'down-' }),
      peer.command({ cmd: 'send', label: 'telemetry', size: 1000 }),
    ]);
    assert.ok(r1.ok && r2.ok);
    await page.waitForFunction(() => (window.rtcViewer.received.chat || []).length >= 10000
      && (window.rtcViewer.received.telemetry || []).length >= 1, null, { timeout: 60000, polling: 250 });
    const down = await page.evaluate(() => window.rtcViewer.received.chat.filter((m) => m.startsWith('down-')));
    assert.equal(down.length, 10000);
    down.forEach((m, i) => assert.equal(m, `down-${i}`));
    assert.deepEqual(await page.evaluate(() => window.rtcViewer.received.telemetry), [1000]);

    // Page -> pipeline: 10,000 texts on chat, binary on telemetry.
    await page.evaluate(async () => {
      const d = window.rtcViewer.data;
      const bin = new Uint8Array(1000).fill(7);
      for (let i = 0; i < 10000; i++) {
        await d.send('chat', `up-${i}`);
        if (i % 100 === 0) await d.send('telemetry', bin);
      }
    });
    const st = await waitFor(async () => {
      const s = await peer.command({ cmd: 'stats' });
      const c = statsFor(s, session, 'chat');
      const t = statsFor(s, session, 'telemetry');
      return c.texts >= 10001 && t.binary >= 100 ? { c, t } : null;
    }, 60000, '10,000 messages at the pipeline');
    assert.equal(st.c.texts, 10001); // "I am page" and up-0 .. up-9999
    assert.ok(st.c.in_order, 'out of order');
    assert.equal(st.c.next['up-'], 10000);
    assert.equal(st.t.bytes, 100 * 1000);
  } finally {
    await browser.close();
    await peer.stop();
  }
});

test('a 20 MB file each way through the page, checked by SHA-256', { timeout: 240000 }, async () => {
  const peer = await startDataPeer();
  const browser = await launchChromium();
  try {
    const page = await openViewer(browser, `http://127.0.0.1:${peer.port}`);
    // Pipeline -> page: the page shows the file with its checksum verified.
    const sent = await peer.command({ cmd: 'send-file', label: 'file', size: 20 * MB, name: 'down.bin' });
    assert.ok(sent.ok);
    await page.waitForFunction(() => window.rtcViewer.files.length >= 1, null, { timeout: 120000, polling: 250 });
    const f = (await page.evaluate(() => window.rtcViewer.files))[0];
    assert.deepEqual(f, { name: 'down.bin', size: 20 * MB, sha256: sent.sha256, ok: true });
    assert.equal(await page.textContent('#file-list .ok'), 'SHA-256 checked');

    // Page -> pipeline: picked in the file panel and sent with its button.
    const body = Buffer.alloc(20 * MB);
    for (let i = 0; i < body.length; i += 4) body.writeUInt32BE((i * 2654435761) >>> 0, i);
    const sha = createHash('sha256').update(body).digest('hex');
    await page.setInputFiles('#file-input', { name: 'up.bin', mimeType: 'application/octet-stream', buffer: body });
    await page.click('#file-send');
    const got = await peer.waitEvent((e) => e.type === 'file' && e.name === 'up.bin', 'the file at the pipeline', 120000);
    assert.equal(got.size, 20 * MB);
    assert.equal(got.sha256, sha);
    assert.equal(got.ok, true);
    await page.waitForFunction(() => /^sent up.bin/.test(document.getElementById('file-state').textContent),
      null, { timeout: 10000 });
  } finally {
    await browser.close();
    await peer.stop();
  }
});

test('per-session routing; a session leaving mid-transfer leaves the other whole', { timeout: 240000 }, async () => {
  const peer = await startDataPeer();
  const browser = await launchChromium();
  try {
    const base = `http://127.0.0.1:${peer.port}`;
    const a = await openViewer(browser, base);
    const b = await openViewer(browser, base);
    const sa = await sessionOf(peer, a, 'a');
    const sb = await sessionOf(peer, b, 'b');
    assert.notEqual(sa, sb);
    assert.ok((await peer.command({ cmd: 'send', session: sa, label: 'chat', text: 'just for a' })).ok);
    assert.ok((await peer.command({ cmd: 'send', label: 'chat', text: 'for everyone' })).ok);
    for (const p of [a, b]) {
      await p.waitForFunction(() => (window.rtcViewer.received.chat || []).includes('for everyone'),
        null, { timeout: 10000 });
    }
    assert.ok(await a.evaluate(() => window.rtcViewer.received.chat.includes('just for a')));
    assert.ok(!(await b.evaluate(() => window.rtcViewer.received.chat.includes('just for a'))));

    // A 20 MB file to both; b closes its tab a quarter of the way in.
    const transfer = peer.command({ cmd: 'send-file', label: 'file', size: 20 * MB, name: 'both.bin' });
    await b.waitForFunction(() => document.getElementById('file-progress').value > 0.25, null,
      { timeout: 60000, polling: 50 });
    await b.close();
    const sent = await transfer;
    await a.waitForFunction(() => window.rtcViewer.files.length >= 1, null, { timeout: 120000, polling: 250 });
    const f = (await a.evaluate(() => window.rtcViewer.files))[0];
    assert.equal(f.ok, true);
    assert.equal(f.sha256, sent.sha256);
    await peer.waitEvent((e) => e.type === 'closed' && e.session === sb, 'b closed', 40000);
    assert.equal(peer.events.filter((e) => e.type === 'error').length, 0);
    // a still talks.
    await a.evaluate(() => window.rtcViewer.data.send('chat', 'still here'));
    await waitFor(async () => statsFor(await peer.command({ cmd: 'stats' }), sa, 'chat').last === 'still here',
      10000, 'a after b left');
  } finally {
    await browser.close();
    await peer.stop();
  }
});

test('oversized and malformed messages get clear errors and break nothing', { timeout: 180000 }, async () => {
  const peer = await startDataPeer();
  const browser = await launchChromium();
  try {
    const page = await openViewer(browser, `http://127.0.0.1:${peer.port}`);
    const session = await sessionOf(peer, page, 'page');
    // The page: a chat message over the pipeline's maximum is refused with
    // a message the user sees; nothing is cut or sent.
    const max = await page.evaluate(() => window.rtcViewer.data.maxMessageSize());
    assert.ok(max >= 16384, `max-message-size ${max}`);
    await page.fill('#chat-input', 'x'.repeat(max + 1));
    await page.click('#chat-form button');
    await page.waitForFunction(() => window.rtcViewer.dataErrors.some((e) => /larger than the peer's maximum/.test(e)),
      null, { timeout: 10000 });
    // The pipeline: a message over the page's maximum is refused (warning).
    const big = await peer.command({ cmd: 'send', label: 'telemetry', size: 4 * MB });
    assert.equal(big.ok, false);
    await peer.waitEvent((e) => e.type === 'warning' && /maximum message size/.test(e.message), 'a warning');
    // Malformed: navigation garbage gets an error back on the channel; a
    // file whose checksum does not match is reported as such.
    await page.evaluate(() => window.rtcViewer.data.send('navigation', '{"type":"teleport"}'));
    await page.waitForFunction(() => window.rtcViewer.remote.errors.some((e) => /unknown/.test(e)),
      null, { timeout: 10000 });
    await page.evaluate(async () => {
      const d = window.rtcViewer.data;
      await d.send('file', JSON.stringify({ type: 'file-start', id: 9, name: 'bad.bin', size: 3 }));
      const chunk = new Uint8Array([0, 0, 0, 9, 1, 2, 3]);
      await d.send('file', chunk.buffer);
      await d.send('file', JSON.stringify({ type: 'file-end', id: 9, sha256: '00' }));
      await d.send('file', 'not json at all');
    });
    const bad = await peer.waitEvent((e) => e.type === 'file' && e.name === 'bad.bin', 'the bad file');
    assert.equal(bad.ok, false);
    await peer.waitEvent((e) => e.type === 'file-error', 'a file protocol error');
    // All still works both ways.
    await page.evaluate(() => window.rtcViewer.data.send('chat', 'after'));
    await waitFor(async () => statsFor(await peer.command({ cmd: 'stats' }), session, 'chat').last === 'after',
      10000, 'chat after the errors');
    assert.ok((await peer.command({ cmd: 'send', label: 'chat', text: 'back' })).ok);
    await page.waitForFunction(() => (window.rtcViewer.received.chat || []).includes('back'), null, { timeout: 10000 });
    assert.equal(peer.events.filter((e) => e.type === 'error').length, 0);
  } finally {
    await browser.close();
    await peer.stop();
  }
});

test('a click and a key on the video arrive upstream as navigation events', { timeout: 120000 }, async () => {
  const peer = await startDataPeer();
  const browser = await launchChromium();
  try {
    const page = await openViewer(browser, `http://127.0.0.1:${peer.port}`);
    assert.equal(await page.isVisible('#nav-hint'), true);
    // A quarter across, three quarters down the picture, wherever the
    // element letterboxes it.
    const at = await page.evaluate(() => {
      const v = document.getElementById('video');
      const r = v.getBoundingClientRect();
      const scale = Math.min(r.width / v.videoWidth, r.height / v.videoHeight);
      const w = v.videoWidth * scale;
      const h = v.videoHeight * scale;
      return { x: r.left + (r.width - w) / 2 + w * 0.25, y: r.top + (r.height - h) / 2 + h * 0.75 };
    });
    await page.mouse.click(at.x, at.y);
    const ev = await peer.waitEvent((e) => e.type === 'navigation' && e.event === 'mouse-button-press', 'a press');
    assert.equal(ev.button, 1);
    assert.ok(Math.abs(ev.x - 160) <= 4 && Math.abs(ev.y - 270) <= 4, `at ${ev.x},${ev.y}`);
    await page.keyboard.press('ArrowLeft');
    const key = await peer.waitEvent((e) => e.type === 'navigation' && e.event === 'key-press', 'a key');
    assert.equal(key.key, 'Left');
  } finally {
    await browser.close();
    await peer.stop();
  }
});
