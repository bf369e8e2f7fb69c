// The conference page (/room/<name>) and /static/room.js against the mock
// room (mockroom.mjs: the protocol in Node, the room's media in a Chromium
// page): three pages join, see and hear each other, chat in one order, mute,
// share a screen (glare, m-lines recycled), survive a dropped socket (resume:
// the chat said meanwhile sent again, the chat typed offline sent after) and
// a frozen page, and leave; a page with neither camera nor microphone joins.
// Run: tests/netns-run.sh node --test tests/browser/room_client.test.mjs
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { waitFor } from './proc.mjs';
import { decoding, openPage, state, states, withRoom } from './roommockutil.mjs';

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
      // (a page announces its tracks once its first negotiation is done)
      return s.every((x) => x.joined && x.roster.length === 3 && x.local.length === 2
        && x.local.every((t) => t.announced)) && s;
    }, 30000, 'three participants in every roster, their tracks announced');
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

    // a frozen page: its keepalive tick comes 20 s late and nothing was
    // read from the room meanwhile. That tick does not call it silence (the
    // room's messages may wait to be read); a tick on time that finds 20 s
    // of silence does, and Cy resumes with the same id
    const silence = (late) => pages[2].evaluate((l) => {
      const r = window.roomTest.room;
      r._lastHeard = Date.now() - 20000;
      r._lastTick = Date.now() - (l ? 20000 : 5000);
      r._tick();
      return r.state;
    }, late);
    assert.equal(await silence(true), 'joined', 'a late tick read as the room\'s silence');
    assert.equal(await silence(false), 'reconnecting', 'silence on time not noticed');
    await waitFor(async () => {
      const s = await state(pages[2]);
      return s.joined && s.id === ids[2] && s.reconnects.at(-1).reason === 'silence';
    }, 60000, 'Cy back after the silence');

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
