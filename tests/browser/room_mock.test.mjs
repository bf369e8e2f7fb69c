// The board page (/board/<name>), a token and Firefox against the mock room
// (mockroom.mjs: the protocol in Node, the room's media in a Chromium page):
// three board pages and late joiners draw identical boards and a file
// arrives whole; a room with a token; Firefox joins a conference with a
// Chromium page when firefox-esr is installed. Not in CI: the real room has
// tests of these (board.test.mjs; the room signaller's token checks;
// room.test.mjs's Firefox page). The conference page's test against the
// mock is room_client.test.mjs (in CI).
// Run: tests/netns-run.sh node --test tests/browser/room_mock.test.mjs
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { launchFirefox } from './firefox.mjs';
import { waitFor } from './proc.mjs';
import { decoding, openPage, state, states, withRoom } from './roommockutil.mjs';

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
