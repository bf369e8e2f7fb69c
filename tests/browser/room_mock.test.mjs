// The room pages (/room/<name>, /board/<name>) and /static/room.js against
// the mock room (mockroom.mjs: the protocol in Node, the room's media in a
// Chromium page) until the real webrtcroom exists: three conference pages
// see and hear each other, chat in one order, mute, share a screen, survive
// a dropped socket (resume) and leave; three board pages and late joiners
// draw identical boards; a file arrives whole. Firefox joins a conference
// with a Chromium page when firefox-esr is installed.
// Run: tests/netns-run.sh node --test tests/browser/room_mock.test.mjs
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { launchChromium } from './chromium.mjs';
import { launchFirefox } from './firefox.mjs';
import { startMockRoom } from './mockroom.mjs';
import { waitFor } from './proc.mjs';

// A room or board page, opened and its Join button clicked (the pages never
// join, or start a camera, by themselves).
async function openPage(browser, url, problems) {
  const page = await browser.context.newPage();
  page.on('pageerror', (e) => problems.push(`${url}: ${e.message}`));
  page.on('console', (m) => { if (m.type() === 'error') problems.push(`${url} console: ${m.text()}`); });
  await page.goto(url);
  await page.click('#join');
  return page;
}

const state = (page) => page.evaluate(() => window.roomTest.state());
const states = (pages) => Promise.all(pages.map(state));

// Video tracks decoding (frames moving, a size) and audio arriving, per page.
function decoding(s, videos, audios, minFrames = 20) {
  const v = s.remoteTracks.filter((t) => t.kind === 'video' && t.framesDecoded >= minFrames && t.width > 0);
  const a = s.remoteTracks.filter((t) => t.kind === 'audio' && t.bytesReceived > 1000);
  return v.length === videos && a.length === audios
    && s.remoteTracks.length === videos + audios;
}

async function withRoom(fn, options = {}) {
  const browser = await launchChromium();
  const room = await startMockRoom({ engine: browser.context, ...options });
  const problems = [];
  try {
    await fn(browser, room, problems);
    assert.deepEqual(problems, [], 'page errors');
  } catch (e) {
    console.log('mock room log:\n' + room.log.filter((l) => !l.startsWith('GET') && !l.startsWith('POST')).slice(-40).join('\n'));
    console.log('page problems:\n' + problems.join('\n'));
    throw e;
  } finally {
    await room.close();
    await browser.close();
  }
}

test('conference: three pages join, see and hear each other, chat, mute, share, resume, leave', { timeout: 300000 }, async () => {
  await withRoom(async (browser, room, problems) => {
    const names = ['Ada', 'Bob', 'Cy'];
    const pages = [];
    for (const name of names) {
      pages.push(await openPage(browser, `${room.base}/room/conf?name=${name}&fakescreen=1`, problems));
    }
    // joining and the roster
    let ss = await waitFor(async () => {
      const s = await states(pages);
      return s.every((x) => x.joined && x.roster.length === 3) && s;
    }, 30000, 'three participants in every roster');
    const ids = ss.map((s) => s.id);
    assert.equal(new Set(ids).size, 3);
    for (const s of ss) {
      assert.deepEqual(s.roster.map((p) => p.name).sort(), [...names].sort());
      assert.deepEqual(s.local.map((t) => t.label).sort(), ['camera', 'microphone']);
      assert.ok(s.local.every((t) => t.announced));
    }

    // everyone decodes the two others' camera and receives their microphone
    ss = await waitFor(async () => {
      const s = await states(pages);
      return s.every((x) => decoding(x, 2, 2)) && s;
    }, 60000, 'remote tracks decoding on every page');
    for (const [i, s] of ss.entries()) {
      const from = new Set(s.remoteTracks.map((t) => t.participant));
      assert.deepEqual([...from].sort(), ids.filter((_, k) => k !== i).sort());
      assert.ok(s.remoteTracks.every((t) => ['camera', 'microphone'].includes(t.label)));
    }
    console.log('decoding:', JSON.stringify(ss.map((s) => s.remoteTracks.map((t) => `${t.name}/${t.kind}:${t.framesDecoded || t.bytesReceived}:${t.quality}`))));

    // chat: interleaved senders, one order everywhere, own messages echoed
    for (let k = 0; k < 3; k++) {
      await Promise.all(pages.map((p, i) => p.evaluate((t) => window.roomTest.sendChat(t), `${names[i]} says ${k}`)));
    }
    ss = await waitFor(async () => {
      const s = await states(pages);
      return s.every((x) => x.chat.length === 9) && s;
    }, 15000, 'nine chat messages on every page');
    const order = JSON.stringify(ss[0].chat.map((m) => [m.seq, m.from, m.text]));
    for (const s of ss) assert.equal(JSON.stringify(s.chat.map((m) => [m.seq, m.from, m.text])), order);
    const seqs = ss[0].chat.map((m) => m.seq);
    assert.deepEqual(seqs, [...seqs].sort((a, b) => a - b));
    for (const name of names) {
      const mine = ss[0].chat.filter((m) => m.name === name).map((m) => m.text);
      assert.deepEqual(mine, [0, 1, 2].map((k) => `${name} says ${k}`));
    }

    // mute: the others see Ada's microphone muted
    await pages[0].evaluate(() => window.roomTest.setMicMuted(true));
    await waitFor(async () => (await states(pages.slice(1))).every((s) => {
      const ada = s.roster.find((p) => p.id === ids[0]);
      return ada && ada.tracks.some((t) => t.kind === 'audio' && t.muted);
    }), 10000, "Ada's microphone muted for the others");
    await pages[0].evaluate(() => window.roomTest.setMicMuted(false));

    // screen share: Bob's own offer, crossed by one of the room's (glare:
    // Bob rolls back, answers, offers again); the others get a third video
    assert.ok(await room.forceGlare('conf', ids[1]));
    await pages[1].evaluate(() => window.roomTest.startScreenShare());
    await waitFor(async () => (await states([pages[0], pages[2]])).every((s) => s.remoteTracks.some(
      (t) => t.label === 'screen' && t.participant === ids[1] && t.framesDecoded > 10)), 40000, "Bob's screen decoding");
    const screenMid = (await state(pages[0])).remoteTracks.find((t) => t.label === 'screen').mid;
    await pages[1].evaluate(() => window.roomTest.stopScreenShare());
    await waitFor(async () => (await states([pages[0], pages[2]])).every(
      (s) => !s.remoteTracks.some((t) => t.label === 'screen')), 20000, "Bob's screen gone");
    // again: Bob reuses his transceiver, the room recycles its inactive m-lines
    await pages[1].evaluate(() => window.roomTest.startScreenShare());
    await waitFor(async () => (await states([pages[0], pages[2]])).every((s) => s.remoteTracks.some(
      (t) => t.label === 'screen' && t.participant === ids[1] && t.framesDecoded > 10)), 40000, "Bob's second screen decoding");
    assert.equal((await state(pages[0])).remoteTracks.find((t) => t.label === 'screen').mid, screenMid, 'm-line recycled');
    await pages[1].evaluate(() => window.roomTest.stopScreenShare());
    await waitFor(async () => (await states([pages[0], pages[2]])).every(
      (s) => !s.remoteTracks.some((t) => t.label === 'screen')), 20000, "Bob's second screen gone");

    // a dropped socket: Cy resumes with the same id and decodes again; the
    // chat said while Cy was away arrives (the room sends it again), what Cy
    // typed meanwhile goes out after the resume, nothing comes twice
    const chatBefore = (await state(pages[2])).chat.length;
    assert.ok(await room.dropSocket('conf', ids[2], 3000));
    await waitFor(async () => (await state(pages[2])).state === 'reconnecting', 10000, 'Cy reconnecting');
    await pages[0].evaluate(() => window.roomTest.sendChat('while Cy was away'));
    await pages[2].evaluate(() => window.roomTest.sendChat('Cy, typed offline'));
    await waitFor(async () => {
      const s = await states(pages);
      return s[2].joined && s[2].id === ids[2] && s.every((x) => x.roster.length === 3 && decoding(x, 2, 2, 1)) && s;
    }, 60000, 'Cy back with the same id, everyone decoding again');
    await waitFor(async () => (await states(pages)).every((x) => x.chat.length === chatBefore + 2), 20000,
      'the chat of the time Cy was away, everywhere');
    const chats = (await states(pages)).map((x) => x.chat.map((m) => `${m.seq} ${m.text}`));
    assert.deepEqual(chats[2], chats[0], "Cy's chat after the resume");
    assert.deepEqual(chats[1], chats[0]);
    assert.deepEqual(chats[0].slice(-2).map((t) => t.replace(/^\d+ /, '')), ['while Cy was away', 'Cy, typed offline']);

    // leave: Ada goes; Bob and Cy keep each other
    await pages[0].evaluate(() => window.roomTest.leave());
    ss = await waitFor(async () => {
      const s = await states(pages.slice(1));
      return s.every((x) => x.roster.length === 2 && x.remoteTracks.length === 2
        && x.remoteTracks.every((t) => t.participant !== ids[0])) && s;
    }, 20000, 'Ada gone from the others');
    assert.equal((await state(pages[0])).joined, false);

    // Dee joins with neither camera nor microphone, watches, then starts her
    // camera: it goes on the first offer's receiving video m-line, by her offer
    const dee = await openPage(browser, `${room.base}/room/conf?name=Dee&camera=0&mic=0`, problems);
    await waitFor(async () => decoding(await state(dee), 2, 2), 40000, 'Dee decoding Bob and Cy');
    assert.deepEqual((await state(dee)).local, []);
    await dee.evaluate(() => window.roomTest.startCamera());
    const deeId = (await state(dee)).id;
    await waitFor(async () => (await states(pages.slice(1))).every((s) => s.remoteTracks.some(
      (t) => t.participant === deeId && t.kind === 'video' && t.label === 'camera' && t.framesDecoded > 10)), 40000, "Dee's camera decoding");
    const deeLocal = (await state(dee)).local;
    assert.deepEqual(deeLocal.map((t) => [t.label, t.announced]), [['camera', true]]);

    const mock = await room.state('conf');
    assert.ok(mock.glares >= 1, 'the glare happened');
    assert.deepEqual(mock.participants.map((p) => p.id).sort(), [ids[1], ids[2], deeId].sort());
    console.log('room:', JSON.stringify({ offers: mock.offers, clientOffers: mock.clientOffers, glares: mock.glares,
      errors: mock.errors, largestFrame: mock.largestFrame }));
    await dee.close();
    for (const p of pages) await p.close();
  });
});

test('board: three pages and late joiners draw identical boards; a file arrives whole', { timeout: 300000 }, async () => {
  await withRoom(async (browser, room, problems) => {
    const open = (name) => openPage(browser, `${room.base}/board/team?name=${name}`, problems);
    const pages = [await open('Ada'), await open('Bob'), await open('Cy')];
    await waitFor(async () => (await states(pages)).every((s) => s.joined && s.boardOpen && s.filesOpen
      && s.roster.length === 3), 30000, 'three board pages joined, channels open');
    const hashes = (ps) => Promise.all(ps.map((p) => p.evaluate(() => window.roomTest.boardHash())));
    const settled = async (ps, lastSeq) => waitFor(async () => {
      const h = await hashes(ps);
      return h.every((x) => x.lastSeq === lastSeq && x.pending === 0) && h;
    }, 30000, `every board at seq ${lastSeq}`);
    const same = (h) => {
      for (const x of h) {
        assert.equal(x.ops, h[0].ops, 'operation logs differ');
        assert.equal(x.pixels, h[0].pixels, 'pixels differ');
      }
    };

    // concurrent drawing, then an undo
    await Promise.all(pages.map((p, i) => p.evaluate((seed) => window.roomTest.drawRandomStrokes(25, seed), i + 1)));
    let h = await settled(pages, 75);
    same(h);
    assert.equal(h[0].drawn, 75);
    await pages[1].evaluate(() => window.roomTest.undo());
    h = await settled(pages, 76);
    same(h);
    assert.equal(h[0].drawn, 74);
    const beforeClear = h[0].pixels;

    // a late joiner gets the whole log and the same board
    pages.push(await open('Dee'));
    h = await settled(pages, 76);
    same(h);
    console.log('board after 76 operations:', h[0].ops.slice(0, 16), h[0].pixels.slice(0, 16));

    // clear, draw on, another late joiner starts from the clear
    await pages[2].evaluate(() => window.roomTest.clear());
    await pages[3].evaluate(() => window.roomTest.drawRandomStrokes(10, 99));
    h = await settled(pages, 87);
    same(h);
    assert.equal(h[0].count, 11); // the clear and what followed
    assert.notEqual(h[0].pixels, beforeClear);
    // Eve on the namespace's 10.x address: not a secure context, so no
    // crypto.subtle; the pure-JS SHA-256 hashes her board and files
    const eveBase = process.env.RTC_NETNS === '1' ? room.base.replace('127.0.0.1', '10.213.0.1') : room.base;
    pages.push(await openPage(browser, `${eveBase}/board/team?name=Eve`, problems));
    h = await settled(pages, 87);
    same(h);
    if (eveBase !== room.base) assert.equal(await pages[4].evaluate(() => window.isSecureContext), false);

    // a file: 300 kB in 16 KiB chunks, checked against its SHA-256 everywhere else
    const sha = await pages[0].evaluate(() => window.roomTest.sendFile('data.bin', 300000, 7));
    assert.match(sha, /^[0-9a-f]{64}$/);
    const got = await waitFor(async () => {
      const all = await Promise.all(pages.slice(1).map((p) => p.evaluate(() => window.roomTest.receivedFiles())));
      return all.every((f) => f.length === 1) && all;
    }, 30000, 'the file on every other page');
    for (const f of got) assert.deepEqual(f[0], { name: 'data.bin', size: 300000, sha256: sha, ok: true });
    assert.deepEqual(await pages[0].evaluate(() => window.roomTest.receivedFiles()), []);

    // Bob's socket drops: he resumes, the room replays the log, same board
    const bobId = (await state(pages[1])).id;
    assert.ok(await room.dropSocket('team', bobId));
    await waitFor(async () => {
      const s = await state(pages[1]);
      return s.joined && s.id === bobId && s.boardOpen;
    }, 30000, 'Bob back on the board');
    h = await settled(pages, 87);
    same(h);

    // by hand: a pen stroke, a rectangle and a text with the mouse, then Undo
    const ada = pages[0];
    const box = await ada.locator('#overlay').boundingBox();
    const at = (x, y) => [box.x + (x * box.width) / 1600, box.y + (y * box.height) / 900];
    const drag = async (points) => {
      await ada.mouse.move(...at(...points[0]));
      await ada.mouse.down();
      for (const p of points.slice(1)) await ada.mouse.move(...at(...p), { steps: 4 });
      await ada.mouse.up();
    };
    await drag([[100, 100], [300, 200], [500, 120]]);
    await ada.check('input[name="tool"][value="rect"]');
    await drag([[600, 500], [900, 700]]);
    await ada.check('input[name="tool"][value="text"]');
    await ada.fill('#text', 'hello');
    await ada.mouse.click(...at(800, 300));
    h = await settled(pages, 90);
    same(h);
    await ada.click('#undo');
    h = await settled(pages, 91);
    same(h);
    assert.equal(h[0].drawn, 10 + 2);

    // chat on the board page goes over the WebSocket
    await pages[4].evaluate(() => window.roomTest.room.sendChat('hello board'));
    await waitFor(async () => (await states(pages)).every((s) => s.chat.some((m) => m.text === 'hello board')),
      10000, 'board chat');
    for (const p of pages) await p.close();
  }, { host: process.env.RTC_NETNS === '1' ? '0.0.0.0' : '127.0.0.1' });
});

test('a room with a token: refused without it, joined with it', { timeout: 120000 }, async () => {
  await withRoom(async (browser, room, problems) => {
    const without = await openPage(browser, `${room.base}/room/locked?name=NoToken&camera=0&mic=0`, problems);
    await waitFor(async () => (await state(without)).errors.some((e) => /unauthorized/.test(e)), 15000, 'unauthorized');
    assert.equal((await state(without)).joined, false);
    const withIt = await openPage(browser, `${room.base}/room/locked?name=Token&camera=0&mic=0#token=sekrit`, problems);
    await waitFor(async () => (await state(withIt)).joined, 15000, 'joined with the token');
    assert.deepEqual((await room.state('locked')).participants.map((p) => p.name), ['Token']);
  }, { token: 'sekrit' });
});

test('Firefox joins a conference with Chromium', { timeout: 200000, skip: !existsSync('/usr/bin/firefox-esr') && 'firefox-esr is not installed' }, async () => {
  await withRoom(async (browser, room, problems) => {
    const ff = launchFirefox(`${room.base}/__ff/room/mixed?name=Fox&fakescreen=1`);
    try {
      await ff.click('#join');
      const chrome = await openPage(browser, `${room.base}/room/mixed?name=Chrome`, problems);
      await waitFor(async () => {
        const r = room.reports.get('Fox');
        return r && r.joined && decoding(r, 1, 1);
      }, 90000, 'Firefox decoding the Chromium page').catch((e) => {
        console.log('last Firefox report:', JSON.stringify(room.reports.get('Fox')));
        throw e;
      });
      await waitFor(async () => decoding(await state(chrome), 1, 1), 60000, 'Chromium decoding Firefox');
      await chrome.evaluate(() => window.roomTest.sendChat('hi fox'));
      const r = await waitFor(async () => {
        const x = room.reports.get('Fox');
        return x && x.chat.some((m) => m.text === 'hi fox') && x;
      }, 15000, 'chat in Firefox');
      console.log('firefox:', JSON.stringify(r.remoteTracks.map((t) => `${t.name}/${t.kind}:${t.framesDecoded || t.bytesReceived} ${t.width}x${t.height}`)));
      await chrome.close();
    } finally {
      await ff.close();
    }

    // the board: Firefox applies the same operations and gets a file whole
    const ffBoard = launchFirefox(`${room.base}/__ff/board/mixed?name=FoxBoard`);
    try {
      await ffBoard.click('#join');
      const chrome = await openPage(browser, `${room.base}/board/mixed?name=ChromeBoard`, problems);
      await waitFor(async () => {
        const r = room.reports.get('FoxBoard');
        return r && r.joined && r.boardOpen && r.filesOpen && (await state(chrome)).roster.length === 2;
      }, 60000, 'Firefox board joined');
      await chrome.evaluate(() => window.roomTest.drawRandomStrokes(30, 5));
      const mine = await waitFor(async () => {
        const h = await chrome.evaluate(() => window.roomTest.boardHash());
        return h.lastSeq === 30 && h.pending === 0 && h;
      }, 20000, 'the Chromium board at seq 30');
      const sha = await chrome.evaluate(() => window.roomTest.sendFile('fox.bin', 100000, 3));
      const r = await waitFor(async () => {
        const x = room.reports.get('FoxBoard');
        return x && x.hash && x.hash.lastSeq === 30 && x.received.length === 1 && x;
      }, 30000, 'the Firefox board at seq 30 with the file');
      assert.equal(r.hash.ops, mine.ops, 'Firefox applied other operations');
      assert.deepEqual([r.received[0].sha256, r.received[0].ok, r.received[0].size], [sha, true, 100000]);
      console.log('pixels: chromium', mine.pixels.slice(0, 16), 'firefox', r.hash.pixels.slice(0, 16),
        '(the same only within one browser)');
      await chrome.close();
    } finally {
      await ffBoard.close();
    }
  });
});
