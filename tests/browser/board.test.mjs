// The collaboration page (/board/<name>) in a room hosted by a gst-launch-1.0
// pipeline (webrtcroom and its embedded server; the pipeline records the
// board from data_recv_board into a file and has a small video, which the
// board pages do not take): three Chromium users (one browser, a context
// each), a Firefox user (its page reports over HTTP and takes calls through
// roomproxy.mjs) and a Chromium user who comes late.
//  - the three Chromium users draw 100 pen strokes each at the same time
//    (pointer events on the board, handled by the page's own pointer
//    handlers), then a rectangle, an ellipse, a line and a text with the
//    mouse; Firefox draws 100 random operations meanwhile: every board
//    shows the same operations, the Chromium boards the same pixels (the
//    late joiner's too; Firefox antialiases differently), and a user who
//    only watches stays in the room;
//  - chat sent from every page arrives in the same order everywhere;
//  - a 10 MB file of random bytes reaches every other member with the
//    sender's SHA-256, its progress bar moving on the way;
//  - Undo takes a stroke back on every board (the pixels are those of
//    before the stroke) and Clear empties every board;
//  - the pipeline saw the board: its record is the pages' operation log.
// Runs inside tests/netns-run.sh (see tests/meson.build).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launchChromiumBrowser } from './chromium.mjs';
import { launchFirefox } from './firefox.mjs';
import { startRoomProxy } from './roomproxy.mjs';
import { startPublisher } from './publisher.mjs';
import { waitFor } from './proc.mjs';

const ROOM = 'team';
const STROKES = 100;
const SHAPES = 4; // rectangle, ellipse, line, text
const FILE_SIZE = 10 * 1024 * 1024;
const W = 1600;
const H = 900;

const sha256 = (data) => createHash('sha256').update(data).digest('hex');

function prng(seed) { // mulberry32: every run draws the same strokes
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const state = (page) => page.evaluate(() => window.roomTest.state());
const boardHash = (page) => page.evaluate(() => window.roomTest.boardHash());

async function openBoard(chrome, base, name) {
  const context = await chrome.newContext({ viewport: { width: 1400, height: 900 } });
  const page = await context.newPage();
  page.on('console', (m) => { if (m.type() === 'error') console.log(`${name}:`, m.text()); });
  page.on('pageerror', (e) => console.log(`${name} page error:`, e.message));
  await page.goto(`${base}/board/${ROOM}?name=${name}`);
  await page.click('#join');
  await waitFor(async () => {
    const s = await state(page);
    return s.joined && s.boardOpen && s.filesOpen;
  }, 60000, `${name} joined with the board and files channels open`);
  return page;
}

// Where board point (x, y) is on the screen.
async function toScreen(page, x, y) {
  const box = await page.locator('#overlay').boundingBox();
  return [box.x + (x * box.width) / W, box.y + (y * box.height) / H];
}

// Draws @n pen strokes: pointer events on the board, as the mouse makes
// them (the page's own pointer handlers draw and send), one stroke a frame;
// then a rectangle, an ellipse, a line and a text with the mouse itself.
async function drawByHand(page, n, seed, color) {
  const rnd = prng(seed);
  const int = (lo, hi) => lo + Math.floor(rnd() * (hi - lo + 1));
  await page.locator('#color').fill(color);
  await page.locator('#width').fill(String(2 + (seed % 7)));
  await page.locator('input[name="tool"][value="pen"]').check();
  const strokes = [];
  for (let i = 0; i < n; i++) {
    let x = int(40, W - 40);
    let y = int(40, H - 40);
    const points = [[x, y]];
    for (let k = int(2, 6); k > 0; k--) {
      x = Math.max(0, Math.min(W, x + int(-60, 60)));
      y = Math.max(0, Math.min(H, y + int(-60, 60)));
      points.push([x, y]);
    }
    strokes.push(points);
  }
  await page.evaluate(async ([list, w, h]) => {
    const board = document.getElementById('overlay');
    const pointer = (type, [x, y]) => {
      const r = board.getBoundingClientRect();
      board.dispatchEvent(new PointerEvent(type, {
        bubbles: true, cancelable: true, pointerId: 1, pointerType: 'mouse', isPrimary: true,
        button: type === 'pointermove' ? -1 : 0, buttons: type === 'pointerup' ? 0 : 1,
        clientX: r.left + (x * r.width) / w, clientY: r.top + (y * r.height) / h,
      }));
    };
    for (const points of list) {
      pointer('pointerdown', points[0]);
      for (const p of points.slice(1)) pointer('pointermove', p);
      pointer('pointerup', points[points.length - 1]);
      await new Promise((r) => requestAnimationFrame(r));
    }
  }, [strokes, W, H]);
  const box = await page.locator('#overlay').boundingBox();
  const at = (x, y) => [box.x + (x * box.width) / W, box.y + (y * box.height) / H];
  for (const tool of ['rect', 'ellipse', 'line']) {
    await page.locator(`input[name="tool"][value="${tool}"]`).check();
    const x = int(100, W - 300);
    const y = int(100, H - 300);
    await page.mouse.move(...at(x, y));
    await page.mouse.down();
    await page.mouse.move(...at(x + int(40, 200), y + int(40, 200)), { steps: 4 });
    await page.mouse.up();
  }
  await page.locator('#text').fill(`hello from ${color}`);
  await page.locator('input[name="tool"][value="text"]').check();
  await page.mouse.click(...at(int(100, W - 400), int(100, H - 100)));
  await page.locator('input[name="tool"][value="pen"]').check();
}

// Waits until every page has applied @seq operations and has none of its
// own waiting for the room's echo; returns their hashes. @firefox: the
// proxy Firefox's page reports to, when it is in (as F).
async function settled(pages, seq, what, firefox = null) {
  const hashes = {};
  if (firefox) {
    hashes.F = await waitFor(async () => {
      const h = (firefox.reports.get('F') || {}).hash;
      return h && h.lastSeq >= seq && h.pending === 0 && h;
    }, 90000, `F (Firefox): ${what} (operation ${seq})`).catch((e) => {
      console.log('F', JSON.stringify(firefox.reports.get('F') || {}).slice(0, 3000));
      throw e;
    });
  }
  for (const [name, page] of Object.entries(pages)) {
    hashes[name] = await waitFor(async () => {
      const h = await boardHash(page);
      return h.lastSeq >= seq && h.pending === 0 && h;
    }, 60000, `${name}: ${what} (operation ${seq})`).catch(async (e) => {
      console.log(name, JSON.stringify(await boardHash(page)), JSON.stringify((await state(page)).errors),
        JSON.stringify(await page.evaluate(() => {
          const r = window.roomTest.room;
          if (!r) return null;
          return { pc: r.pc && r.pc.connectionState, sctp: r.pc && r.pc.sctp && r.pc.sctp.state,
            channels: [...r._channels].map(([l, dc]) => [l, dc.readyState, dc.bufferedAmount]) };
        })));
      throw e;
    });
  }
  return hashes;
}

// The same operations everywhere; the same pixels in every Chromium page
// (and Firefox's when @pixelsEverywhere: a blank board).
function assertSameBoards(hashes, what, pixelsEverywhere = false) {
  const first = 'A';
  for (const name of Object.keys(hashes).filter((n) => n !== first)) {
    assert.equal(hashes[name].lastSeq, hashes[first].lastSeq, `${what}: ${name} and ${first} applied as many operations`);
    assert.equal(hashes[name].ops, hashes[first].ops, `${what}: ${name}'s operations are ${first}'s ` +
      `(${name}'s last: ${JSON.stringify(hashes[name].tail)}; ${first}'s last: ${JSON.stringify(hashes[first].tail)})`);
    assert.equal(hashes[name].drawn, hashes[first].drawn, `${what}: ${name} draws as many operations as ${first}`);
    if (name !== 'F' || pixelsEverywhere)
      assert.equal(hashes[name].pixels, hashes[first].pixels, `${what}: ${name}'s board looks like ${first}'s`);
  }
}

test('a board shared by three Chromium users, a Firefox user and a late joiner, hosted by a pipeline', { timeout: 300000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'board-'));
  const record = join(dir, 'board.jsonl');
  const host = await startPublisher([
    // participant-timeout: 2 s is plenty for pages with media (RTCP comes every
    // second or so); board pages have none and must stay however long they idle,
    // also in a room that has tracks for them (the pipeline's video, which
    // they do not take).
    // allowed-origins: Firefox's page comes through the proxy, another origin.
    'webrtcroom', 'name=room', 'port=0', `room-name=${ROOM}`, 'participant-timeout=2000', 'allowed-origins=*',
    'data_recv_board::newline=true',
    'room.data_recv_board', '!', 'filesink', `location=${record}`, 'sync=false', 'async=false',
    'videotestsrc', 'is-live=true', '!', 'video/x-raw,width=160,height=120,framerate=5/1', '!', 'room.',
  ]);
  const base = `http://127.0.0.1:${host.port}`;
  const chrome = await launchChromiumBrowser();
  const proxy = await startRoomProxy(host.port);
  let ff = null;
  const ffState = () => proxy.reports.get('F') || {};
  const pages = {};
  let expected = 0; // operations on the board so far
  let logBeforeClear = null;
  try {
    await t.test('four users (three Chromium, one Firefox) draw at once: the same board everywhere', async () => {
      ff = launchFirefox(`${proxy.base}/board/${ROOM}?name=F`);
      await ff.click('#join');
      await Promise.all(['A', 'B', 'C'].map(async (name) => { pages[name] = await openBoard(chrome, base, name); }));
      await waitFor(async () => { const s = ffState(); return s.joined && s.boardOpen && s.filesOpen; },
        90000, 'F (Firefox) joined with the board and files channels open').catch((e) => {
        console.log('F', JSON.stringify(ffState()).slice(0, 2000));
        throw e;
      });
      const colors = { A: '#d62728', B: '#1f77b4', C: '#2ca02c' };
      await Promise.all([
        ...['A', 'B', 'C'].map((name, i) => drawByHand(pages[name], STROKES, i + 1, colors[name])),
        proxy.call('F', 'drawRandomStrokes', STROKES, 4),
      ]);
      expected = 3 * (STROKES + SHAPES) + STROKES;
      const hashes = await settled(pages, expected, 'everyone\'s drawing', proxy);
      assertSameBoards(hashes, 'after drawing');
      assert.equal(hashes.A.lastSeq, expected, 'one operation per stroke and shape');
      assert.equal(hashes.A.drawn, expected, 'every operation is drawn');
      const blank = sha256(Buffer.alloc(W * H * 4, 255));
      assert.notEqual(hashes.A.pixels, blank, 'something is drawn');
      assert.notEqual(hashes.F.pixels, blank, 'something is drawn on Firefox\'s board');
      console.log(`Firefox's pixels ${hashes.F.pixels === hashes.A.pixels ? 'are' : 'are not'} Chromium's`);
      for (const name of ['A', 'B', 'C']) assert.deepEqual((await state(pages[name])).errors, [], `${name} shows no error`);
      assert.deepEqual(ffState().errors, [], 'F shows no error');
    });

    await t.test('a late joiner sees the same board', async () => {
      pages.D = await openBoard(chrome, base, 'D');
      const hashes = await settled(pages, expected, 'the board', proxy);
      assertSameBoards(hashes, 'with the late joiner');
      assert.equal(hashes.D.count, expected);
      // D only watches: it is still there a while later, on every page.
      await new Promise((r) => setTimeout(r, 3000));
      for (const [name, page] of Object.entries(pages)) {
        const s = await state(page);
        assert.ok(s.joined, `${name} is still in the room`);
        const people = s.roster.filter((p) => p.id !== 'pipeline').map((p) => p.name).sort();
        assert.deepEqual(people, ['A', 'B', 'C', 'D', 'F'], `${name}'s participants`);
      }
      await waitFor(async () => ffState().roster?.filter((p) => p.id !== 'pipeline').length === 5, 10000,
        'D in F\'s participants');
    });

    await t.test('chat arrives in the same order everywhere', async () => {
      const names = Object.keys(pages);
      await Promise.all([...names.map(async (name) => {
        for (let i = 0; i < 5; i++) {
          await pages[name].locator('#chat-input').fill(`${name}${i}`);
          await pages[name].locator('#chat-input').press('Enter');
        }
      }), ...[0, 1, 2, 3, 4].map((i) => proxy.call('F', 'chat', `F${i}`))]);
      const texts = async (name) => (name === 'F' ? ffState() : await state(pages[name])).chat.map((m) => m.text);
      names.push('F');
      for (const name of names) await waitFor(async () => (await texts(name)).length >= 25, 30000, `${name}'s chat`);
      const order = await texts('A');
      assert.equal(order.length, 25);
      for (const name of names) {
        assert.deepEqual(await texts(name), order, `${name}'s chat order`);
        const own = order.filter((x) => x.startsWith(name));
        assert.deepEqual(own, [0, 1, 2, 3, 4].map((i) => `${name}${i}`), `${name}'s messages in the order sent`);
      }
    });

    await t.test('a 10 MB file reaches everyone else intact, with progress', async () => {
      const receivers = ['B', 'C', 'D'];
      // What the user sees: the progress bar of the incoming file moving.
      for (const name of receivers) {
        await pages[name].evaluate(() => {
          window.progressSeen = [];
          new MutationObserver((records) => {
            for (const r of records) window.progressSeen.push({ value: r.target.value, max: r.target.max });
          }).observe(document.getElementById('file-list'), { subtree: true, attributes: true, attributeFilter: ['value'] });
        });
      }
      // A picks a file of random bytes (made in the page) in the file input.
      const sent = await pages.A.evaluate(async (size) => {
        const bytes = new Uint8Array(size);
        for (let off = 0; off < size; off += 65536) crypto.getRandomValues(bytes.subarray(off, off + 65536));
        const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
        const input = document.getElementById('file-input');
        const files = new DataTransfer();
        files.items.add(new File([bytes], 'random.bin', { type: 'application/octet-stream' }));
        input.files = files.files;
        input.dispatchEvent(new Event('change', { bubbles: true }));
        return Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('');
      }, FILE_SIZE);
      const ffGot = waitFor(async () => (await proxy.call('F', 'receivedFiles')).find((f) => f.name === 'random.bin'),
        120000, 'F (Firefox) receiving the file');
      for (const name of receivers) {
        const got = await waitFor(async () => (await pages[name].evaluate(() => window.roomTest.receivedFiles()))
          .find((f) => f.name === 'random.bin'), 120000, `${name} receiving the file`);
        assert.deepEqual(got, { name: 'random.bin', size: FILE_SIZE, sha256: sent, ok: true }, `${name}'s copy`);
        const progress = await pages[name].evaluate(() => window.progressSeen);
        const values = progress.map((p) => Number(p.value));
        assert.ok(values.every((v, i) => i === 0 || v >= values[i - 1]), `${name}: the progress bar only moves forward`);
        assert.ok(values.filter((v) => v > 0 && v < FILE_SIZE).length >= 10, `${name}: progress on the way (${values.length} updates)`);
        assert.equal(values[values.length - 1], FILE_SIZE, `${name}: the progress bar ends full`);
        assert.ok(progress.every((p) => Number(p.max) === FILE_SIZE), `${name}: the bar's end is the file's size`);
        assert.match(await pages[name].locator('#file-list li').first().innerText(), /random\.bin from A[\s\S]*save/);
      }
      assert.deepEqual(await ffGot, { name: 'random.bin', size: FILE_SIZE, sha256: sent, ok: true }, 'F\'s (Firefox) copy');
      assert.deepEqual(await pages.A.evaluate(() => window.roomTest.sentFiles()),
        [{ name: 'random.bin', size: FILE_SIZE, sha256: sent }]);
      assert.match(await pages.A.locator('#file-list li').first().innerText(), /random\.bin.*sent/);
      assert.deepEqual(await pages.A.evaluate(() => window.roomTest.receivedFiles()), [], 'the sender does not get its file back');
    });

    await t.test('undo takes a stroke back everywhere; clear empties every board', async () => {
      const before = await settled(pages, expected, 'the board', proxy);
      // A draws one more stroke, then clicks Undo: every board is as before.
      await pages.A.mouse.move(...(await toScreen(pages.A, 700, 400)));
      await pages.A.mouse.down();
      await pages.A.mouse.move(...(await toScreen(pages.A, 900, 500)), { steps: 5 });
      await pages.A.mouse.up();
      expected += 1;
      const drawn = await settled(pages, expected, 'the new stroke', proxy);
      assertSameBoards(drawn, 'after the new stroke');
      assert.notEqual(drawn.A.pixels, before.A.pixels, 'the stroke shows');
      await pages.A.locator('#undo').click();
      expected += 1;
      const undone = await settled(pages, expected, 'the undo', proxy);
      assertSameBoards(undone, 'after undo');
      assert.equal(undone.A.pixels, before.A.pixels, 'after undo the board looks as before the stroke');
      assert.equal(undone.A.drawn, before.A.drawn);
      logBeforeClear = undone.A.ops; // the pipeline's record is compared with it

      await pages.B.locator('#clear').click();
      expected += 1;
      const cleared = await settled(pages, expected, 'the clear', proxy);
      assertSameBoards(cleared, 'after clear', true);
      assert.equal(cleared.A.pixels, sha256(Buffer.alloc(W * H * 4, 255)), 'the board is blank');
      assert.equal(cleared.A.count, 1, 'the log holds the clear alone');
      assert.equal(cleared.A.drawn, 0);
      // Undo after a clear has nothing to take back.
      await pages.C.locator('#undo').click();
      await new Promise((r) => setTimeout(r, 500));
      assertSameBoards(await settled(pages, expected, 'the board', proxy), 'undo after clear', true);
      assert.equal((await boardHash(pages.C)).lastSeq, expected, 'nothing to undo after a clear');
    });

    await t.test('the pipeline recorded the same board', async () => {
      const code = await host.stop();
      assert.equal(code, 0, 'the pipeline stopped cleanly:\n' + host.output().slice(-3000));
      const lines = readFileSync(record, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
      assert.deepEqual(lines.map((e) => e.seq), Array.from({ length: expected }, (_, i) => i + 1), 'every operation, in order');
      const upToClear = lines.filter((e) => e.seq < expected).map((e) => [e.seq, e.from, e.msg]);
      assert.equal(sha256(JSON.stringify(upToClear)), logBeforeClear, 'the pages\' log before the clear');
      assert.equal(lines[lines.length - 1].msg.op, 'clear');
      assert.deepEqual(new Set(lines.map((e) => e.name)), new Set(['A', 'B', 'C', 'F']));
      // The four drew at the same time: their strokes interleave in the room's order.
      const strokes = lines.filter((e) => e.msg.op === 'stroke').slice(0, 3 * STROKES);
      const turns = strokes.filter((e, i) => i > 0 && e.from !== strokes[i - 1].from).length;
      console.log(`strokes change hands ${turns} times in the room's order`);
      assert.ok(turns >= 20, `the strokes interleave (${turns} changes of hand)`);
    });
  } finally {
    if (ff) await ff.close();
    await proxy.close();
    await chrome.close().catch(() => {});
    await host.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
