// A pipeline publishes into a Janus VideoRoom with the Janus signaller
// (tests/peers/janus_publisher.py), and headless Chromium watches it from a
// page that speaks Janus's HTTP API itself (janus-viewer.html, served from
// another port than Janus's): the page decodes 640x360 video and receives
// audio. Janus is the real one (Debian's janus, config from tests/janus).
// Runs inside tests/netns-run.sh (see tests/meson.build).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { fileURLToPath } from 'node:url';
import { launchChromium } from './chromium.mjs';
import { startJanus } from './janus.mjs';
import { onLines } from './proc.mjs';

const WIDTH = 640;
const HEIGHT = 360;
const DISPLAY = 'gst-camera';
const SCRIPT = fileURLToPath(new URL('../peers/janus_publisher.py', import.meta.url));
const PAGE = readFileSync(new URL('./janus-viewer.html', import.meta.url));

// Runs the publisher; resolves once the signaller reports "publishing" (Janus
// answered its offer). stop(): SIGTERM, SIGKILL after 10 s; the exit code.
function startJanusPublisher(url, display, timeoutMs = 30000) {
  const proc = spawn('/usr/bin/python3', [SCRIPT, url, display], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const exited = new Promise((done) => proc.once('exit', (code, signal) => done(code ?? signal)));
  const pub = {
    proc,
    output: () => output,
    stop: async () => {
      if (proc.exitCode === null && proc.signalCode === null) {
        proc.kill('SIGTERM');
        const timer = setTimeout(() => proc.kill('SIGKILL'), 10000);
        await exited;
        clearTimeout(timer);
      }
      return proc.exitCode ?? proc.signalCode;
    },
  };
  proc.stderr.on('data', (c) => { output += c.toString(); });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error('the publisher did not publish:\n' + output.slice(-3000)));
    }, timeoutMs);
    onLines(proc.stdout, (line) => {
      output += line + '\n';
      if (line.startsWith('PUBLISHING ')) {
        clearTimeout(timer);
        resolve(pub);
      }
    });
    exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`the publisher exited (${code}):\n` + output.slice(-3000)));
    });
  });
}

// The viewer page on 127.0.0.1, a free port.
function servePage() {
  const server = createServer((req, res) => {
    if (new URL(req.url, 'http://x').pathname !== '/') {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' }).end(PAGE);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({
    port: server.address().port,
    close: () => new Promise((done) => { server.closeAllConnections(); server.close(done); }),
  })));
}

test('Chromium watches a pipeline published into a Janus room', { timeout: 120000 }, async () => {
  const janus = await startJanus();
  let pub = null; let site = null; let browser = null; let page = null;
  const pageErrors = [];
  try {
    pub = await startJanusPublisher(janus.url, DISPLAY);
    site = await servePage();
    browser = await launchChromium();
    page = await browser.context.newPage();
    page.on('console', (m) => {
      if (m.type() === 'error') pageErrors.push(`${m.text()} (${m.location().url})`);
    });
    page.on('pageerror', (e) => pageErrors.push(String(e)));
    const query = new URLSearchParams({ janus: janus.url, room: '1234', display: DISPLAY });
    await page.goto(`http://127.0.0.1:${site.port}/?${query}`);

    await page.waitForFunction(() => {
      const v = window.janusViewer;
      if (v.error) throw new Error(v.error);
      return v.stats.framesDecoded >= 60 && v.stats.audioBytes > 0;
    }, null, { timeout: 60000, polling: 250 });
    const viewer = await page.evaluate(() => window.janusViewer);
    console.log('viewer:', JSON.stringify({ phase: viewer.phase, feed: viewer.feed, stats: viewer.stats }));
    const s = viewer.stats;
    assert.equal(viewer.feed.display, DISPLAY);
    assert.equal(`${s.width}x${s.height}`, `${WIDTH}x${HEIGHT}`, 'decoded size');
    assert.equal(`${s.videoWidth}x${s.videoHeight}`, `${WIDTH}x${HEIGHT}`, 'the <video> size');
    assert.equal(s.codec, 'video/VP8'); // room 1234: videocodec = "vp8"
    assert.ok(s.audioBytes > 0, 'audio bytes received');
    // It is live: frames and audio keep arriving, and the <video> shows the frames.
    await page.waitForFunction((before) => {
      const now = window.janusViewer.stats;
      return now.framesDecoded >= before.framesDecoded + 30 && now.framesShown >= 30
        && now.audioBytes > before.audioBytes;
    }, s, { timeout: 20000, polling: 250 });
    assert.deepEqual(pageErrors, []);

    // The publisher leaves cleanly on SIGTERM.
    assert.equal(await pub.stop(), 0, 'the publisher exit code');
  } catch (e) {
    const state = page ? await page.evaluate(() => JSON.stringify(window.janusViewer))
      .catch(() => 'page gone') : 'no page';
    console.log('page console errors:', JSON.stringify(pageErrors));
    console.log('viewer page state:', state);
    console.log('publisher output:', pub ? pub.output().slice(-3000) : '-');
    console.log('Janus output:', janus.output().slice(-4000));
    e.message += `\npage console errors: ${JSON.stringify(pageErrors)}`;
    throw e;
  } finally {
    if (browser) await browser.close();
    if (site) await site.close();
    if (pub) await pub.stop();
    await janus.stop();
  }
});
