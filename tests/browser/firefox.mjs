// Launches Debian's Firefox ESR headless with a fresh profile set up for
// WebRTC tests (fake devices, no permission prompts, nothing phoning home).
// playwright-core cannot drive it, so pages report back over HTTP; what a
// user does with the mouse (the click that starts a camera or joins a room:
// the pages never do that by themselves) goes through Firefox's own remote
// protocol, WebDriver BiDi (`ff.click('#join')`).
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const TRUE_PREFS = ['media.navigator.permission.disabled', 'media.navigator.streams.fake',
  'media.autoplay.enabled.user-gestures-needed'];
const FALSE_PREFS = [
  'app.update.enabled', 'browser.shell.checkDefaultBrowser', 'datareporting.policy.dataSubmissionEnabled',
  'toolkit.telemetry.enabled', 'network.captive-portal-service.enabled', 'extensions.update.enabled',
  'media.gmp-manager.updateEnabled', 'network.connectivity-service.enabled',
  'browser.safebrowsing.malware.enabled', 'browser.safebrowsing.phishing.enabled',
  'media.peerconnection.ice.obfuscate_host_addresses',
  // WebAudio starts without a gesture, as Chromium's --autoplay-policy flag allows.
  'media.autoplay.block-webaudio',
];

export function launchFirefox(url) {
  const profile = mkdtempSync(join(tmpdir(), 'rtc-firefox-'));
  writeFileSync(join(profile, 'user.js'), [
    ...TRUE_PREFS.map((k) => `user_pref("${k}", true);`),
    ...FALSE_PREFS.map((k) => `user_pref("${k}", false);`),
    'user_pref("media.autoplay.default", 0);',
  ].join('\n'));
  // Its own process group: Firefox runs several processes, all must go.
  const proc = spawn(process.env.FIREFOX || 'firefox-esr',
    ['--headless', '--profile', profile, '--no-remote', '--remote-debugging-port', '0', url],
    { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  // What Firefox printed (the last 4000 characters), and how it ended: a
  // test that waits for its page in vain says why.
  let output = '';
  let bidiUrl = null;
  const keep = (c) => {
    output = (output + c.toString()).slice(-4000);
    // Printed once at start-up: "WebDriver BiDi listening on ws://127.0.0.1:<port>".
    const m = !bidiUrl && output.match(/WebDriver BiDi listening on (ws:\/\/\S+)/);
    if (m) bidiUrl = m[1];
  };
  proc.stdout.on('data', keep);
  proc.stderr.on('data', keep);
  let exit = null;
  const exited = new Promise((r) => proc.once('exit', (code, signal) => { exit = { code, signal }; r(); }));
  let bidi = null;
  const session = () => {
    bidi = bidi || openBidi(() => bidiUrl, () => output);
    return bidi;
  };
  return {
    proc,
    output: () => output,
    exit: () => exit,
    // A real mouse click on the first element matching `selector`, once the
    // page has loaded and the element is there and enabled.
    click: async (selector, timeoutMs = 60000) => (await session()).click(selector, timeoutMs),
    // The value of @expression in the page (a promise is awaited): a
    // primitive (WebDriver BiDi's remote value), or throws what it threw.
    evaluate: async (expression) => (await session()).evaluate(expression),
    close: async () => {
      if (bidi) bidi.then((b) => b.close(), () => {});
      try {
        process.kill(-proc.pid, 'SIGKILL');
      } catch (e) { /* already gone */ }
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

// WebDriver BiDi over the WebSocket Firefox opened (playwright-core's bundled
// `ws`, already a locked dependency of these tests).
const { ws: WebSocket } = createRequire(import.meta.url)('playwright-core/lib/utilsBundle');

async function openBidi(url, output) {
  const deadline = Date.now() + 30000;
  while (!url()) {
    if (Date.now() > deadline) throw new Error(`Firefox never opened WebDriver BiDi; it printed: ${output()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const socket = new WebSocket(`${url()}/session`);
  await new Promise((resolve, reject) => { socket.once('open', resolve); socket.once('error', reject); });
  let nextId = 1;
  const pending = new Map();
  socket.on('message', (data) => {
    const msg = JSON.parse(data.toString());
    const waiter = msg.id && pending.get(msg.id);
    if (!waiter) return; // an event: none subscribed
    pending.delete(msg.id);
    if (msg.type === 'error') waiter.reject(new Error(`${msg.error}: ${msg.message}`));
    else waiter.resolve(msg.result);
  });
  socket.on('close', () => {
    for (const w of pending.values()) w.reject(new Error('WebDriver BiDi closed'));
    pending.clear();
  });
  const send = (method, params) => new Promise((resolve, reject) => {
    const id = nextId++;
    pending.set(id, { resolve, reject });
    socket.send(JSON.stringify({ id, method, params }));
  });
  await send('session.new', { capabilities: {} });
  const { contexts } = await send('browsingContext.getTree', {});
  const context = contexts[0].context;
  const evaluate = (expression) => send('script.evaluate',
    { expression, target: { context }, awaitPromise: false, resultOwnership: 'none' });
  return {
    async click(selector, timeoutMs) {
      const sel = JSON.stringify(selector);
      const until = Date.now() + timeoutMs;
      for (;;) {
        const ready = await evaluate(`(() => { const e = document.querySelector(${sel});
          return document.readyState === 'complete' && !!e && !e.disabled; })()`).catch(() => null);
        if (ready && ready.result && ready.result.value === true) break;
        if (Date.now() > until) throw new Error(`Firefox: no enabled ${selector} in ${timeoutMs} ms`);
        await new Promise((r) => setTimeout(r, 200));
      }
      // (in view: a pointer moves only within the viewport)
      await evaluate(`document.querySelector(${sel}).scrollIntoView({ block: 'center' })`);
      const found = await evaluate(`document.querySelector(${sel})`);
      const element = { sharedId: found.result.sharedId };
      await send('input.performActions', {
        context,
        actions: [{
          type: 'pointer', id: 'mouse', parameters: { pointerType: 'mouse' },
          actions: [
            { type: 'pointerMove', x: 0, y: 0, origin: { type: 'element', element } },
            { type: 'pointerDown', button: 0 },
            { type: 'pointerUp', button: 0 },
          ],
        }],
      });
    },
    async evaluate(expression) {
      const r = await send('script.evaluate',
        { expression, target: { context }, awaitPromise: true, resultOwnership: 'none' });
      if (r.type === 'exception') throw new Error(`Firefox: ${expression}: ${r.exceptionDetails.text}`);
      return r.result.value;
    },
    close: () => socket.close(),
  };
}
