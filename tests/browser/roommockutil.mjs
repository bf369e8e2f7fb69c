// What the room client tests share (room_mock.test.mjs, room_client.test.mjs):
// pages on the mock room (mockroom.mjs) and a look at their state.
import assert from 'node:assert/strict';
import { launchChromium } from './chromium.mjs';
import { startMockRoom } from './mockroom.mjs';

// A room or board page, opened and its Join button clicked (the pages never
// join, or start a camera, by themselves).
export async function openPage(browser, url, problems) {
  const page = await browser.context.newPage();
  page.on('pageerror', (e) => problems.push(`${url}: ${e.message}`));
  page.on('console', (m) => { if (m.type() === 'error') problems.push(`${url} console: ${m.text()}`); });
  await page.goto(url);
  await page.click('#join');
  return page;
}

export const state = (page) => page.evaluate(() => window.roomTest.state());
export const states = (pages) => Promise.all(pages.map(state));

// Video tracks decoding (frames moving, a size) and audio arriving, per page.
export function decoding(s, videos, audios, minFrames = 20) {
  const v = s.remoteTracks.filter((t) => t.kind === 'video' && t.framesDecoded >= minFrames && t.width > 0);
  const a = s.remoteTracks.filter((t) => t.kind === 'audio' && t.bytesReceived > 1000);
  return v.length === videos && a.length === audios
    && s.remoteTracks.length === videos + audios;
}

export async function withRoom(fn, options = {}) {
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
