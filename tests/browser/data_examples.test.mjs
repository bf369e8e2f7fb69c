// The data channel examples work as their comments say, with headless
// Chromium on the viewer page: examples/data.sh subtitles (subtitles go out
// at their times beside the video), examples/data.sh chatlog (every chat
// message a viewer sends lands in the file, one a line), and
// examples/data_relay.py (chat and a file go from one viewer to another
// through the pipeline's application API).
// Runs inside tests/netns-run.sh (see tests/meson.build).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launchChromium } from './chromium.mjs';
import { stopper } from './proc.mjs';

const EXAMPLES = fileURLToPath(new URL('../../examples/', import.meta.url));

// Starts an example; resolves once its output names the port it serves.
function startExample(cmd, args) {
  const proc = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { proc.kill('SIGKILL'); reject(new Error('no port:\n' + output)); }, 30000);
    const onData = (c) => {
      output += c.toString();
      const m = output.match(/port=\(uint\)(\d+)/) || output.match(/http:\/\/127\.0\.0\.1:(\d+)\//);
      if (!m) return;
      clearTimeout(timer);
      resolve({
        port: Number(m[1]),
        output: () => output,
        stop: stopper(proc),
      });
    };
    proc.stdout.on('data', onData);
    proc.stderr.on('data', onData);
    proc.on('exit', (code) => { clearTimeout(timer); reject(new Error(`exited ${code}:\n${output}`)); });
  });
}

async function viewer(browser, port, labels) {
  const page = await browser.context.newPage();
  page.on('console', (m) => { if (m.type() === 'error') console.log('page:', m.text()); });
  await page.goto(`http://127.0.0.1:${port}/view/live`);
  await page.waitForFunction((ls) => {
    const d = window.rtcViewer && window.rtcViewer.data;
    return d && ls.every((l) => d.isOpen(l));
  }, labels, { timeout: 60000, polling: 200 });
  return page;
}

test('data.sh subtitles: each subtitle reaches the page at its time', { timeout: 120000 }, async () => {
  const ex = await startExample('bash', [join(EXAMPLES, 'data.sh'), 'subtitles', join(EXAMPLES, 'sample.srt'), '0']);
  const browser = await launchChromium();
  try {
    const page = await viewer(browser, ex.port, ['subtitles']);
    await page.evaluate(() => {
      window.arrivals = [];
      window.rtcViewer.data.on('subtitles', (m) => window.arrivals.push([m, Date.now()]));
    });
    await page.waitForFunction(() => window.arrivals.length >= 3, null, { timeout: 30000, polling: 200 });
    const got = await page.evaluate(() => window.arrivals);
    const n = got.map(([m]) => Number(m.replace('Subtitle ', '')));
    assert.ok(n.every((v, i) => i === 0 || v === n[i - 1] + 1), `not consecutive: ${n}`);
    // One a second in the file: not all at once.
    assert.ok(got[2][1] - got[0][1] >= 1000, `3 subtitles within ${got[2][1] - got[0][1]} ms`);
    assert.ok(await page.isVisible('#messages'));
    assert.match(await page.textContent('#message-log'), /subtitles: Subtitle \d+/);
  } finally {
    await browser.close();
    await ex.stop();
  }
});

test('data.sh chatlog: chat from the page lands in the file', { timeout: 120000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'rtc-chatlog-'));
  const log = join(dir, 'chat.log');
  const ex = await startExample('bash', [join(EXAMPLES, 'data.sh'), 'chatlog', log, '0']);
  const browser = await launchChromium();
  try {
    const page = await viewer(browser, ex.port, ['chat']);
    assert.ok(await page.isVisible('#chat'));
    for (const text of ['first line', 'second – with UTF-8 ✓', 'third']) {
      await page.fill('#chat-input', text);
      await page.press('#chat-input', 'Enter');
    }
    const end = Date.now() + 20000;
    let lines = [];
    while (Date.now() < end) {
      lines = existsSync(log) ? readFileSync(log, 'utf8').split('\n').filter(Boolean) : [];
      if (lines.length >= 3) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    assert.deepEqual(lines, ['first line', 'second – with UTF-8 ✓', 'third']);
  } finally {
    await browser.close();
    await ex.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('data_relay.py: chat and a file go from one viewer to another', { timeout: 120000 }, async () => {
  const ex = await startExample('/usr/bin/python3', [join(EXAMPLES, 'data_relay.py'), '0']);
  const browser = await launchChromium();
  try {
    const a = await viewer(browser, ex.port, ['chat', 'file']);
    const b = await viewer(browser, ex.port, ['chat', 'file']);
    await a.fill('#chat-input', 'hello from a');
    await a.press('#chat-input', 'Enter');
    await b.waitForFunction(() => (window.rtcViewer.received.chat || []).some((m) => /: hello from a$/.test(m)),
      null, { timeout: 15000 });
    assert.ok(!(await a.evaluate(() => (window.rtcViewer.received.chat || []).some((m) => /hello from a/.test(m)))),
      'the sender got its own message back');
    const body = Buffer.alloc(3 * 1024 * 1024, 0x42);
    await a.setInputFiles('#file-input', { name: 'shared.bin', mimeType: 'application/octet-stream', buffer: body });
    await a.click('#file-send');
    await b.waitForFunction(() => window.rtcViewer.files.length >= 1, null, { timeout: 60000, polling: 250 });
    const f = (await b.evaluate(() => window.rtcViewer.files))[0];
    assert.equal(f.name, 'shared.bin');
    assert.equal(f.size, body.length);
    assert.equal(f.ok, true);
  } finally {
    await browser.close();
    await ex.stop();
  }
});
