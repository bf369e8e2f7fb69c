// Launches Debian's Firefox ESR headless with a fresh profile set up for
// WebRTC tests (fake devices, no permission prompts, nothing phoning home).
// playwright-core cannot drive it, so pages report back over HTTP.
import { spawn } from 'node:child_process';
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
  const proc = spawn(process.env.FIREFOX || 'firefox-esr', ['--headless', '--profile', profile, '--no-remote', url],
    { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  // What Firefox printed (the last 4000 characters), and how it ended: a
  // test that waits for its page in vain says why.
  let output = '';
  const keep = (c) => { output = (output + c.toString()).slice(-4000); };
  proc.stdout.on('data', keep);
  proc.stderr.on('data', keep);
  let exit = null;
  const exited = new Promise((r) => proc.once('exit', (code, signal) => { exit = { code, signal }; r(); }));
  return {
    proc,
    output: () => output,
    exit: () => exit,
    close: async () => {
      try {
        process.kill(-proc.pid, 'SIGKILL');
      } catch (e) { /* already gone */ }
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
