// Launches Debian's Chromium (never a downloaded browser) headless, set up
// for WebRTC on test addresses.
import { chromium } from 'playwright-core';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ARGS = [
  '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
  '--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream',
  '--disable-features=WebRtcHideLocalIpsWithMdns',
  '--autoplay-policy=no-user-gesture-required',
];

// @executable: another way to start it (a wrapper that enters a network
// namespace, for the congestion control bench); @extraArgs: more flags;
// @env: more environment (HOME: another NSS certificate store).
export async function launchChromium(executable = null, extraArgs = [], env = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'rtc-chromium-'));
  const context = await chromium.launchPersistentContext(dir, {
    executablePath: executable || process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: [...ARGS, ...extraArgs],
    env: { ...process.env, ...env },
  });
  return {
    context,
    close: async () => {
      await context.close().catch(() => {});
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

// The same browser as a Browser, for several isolated contexts (one per
// participant) in one Chromium process; Playwright gives it a fresh
// temporary profile and removes it on close().
export async function launchChromiumBrowser(extraArgs = []) {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: [...ARGS, ...extraArgs],
  });
}
