// A real Janus (Debian's janus package) for one browser test, as
// tests/check/lib/rtctestjanus.h starts it for the C tests: the .jcfg files
// of tests/janus (VideoRoom over plain HTTP on 127.0.0.1, nothing else)
// copied to a temporary folder with @PORT@ (a free port), @JANUS_LIBDIR@,
// @CONFIGS_FOLDER@ and @DEBUG_LEVEL@ replaced. Janus logs into output().
// Runs inside the test's network namespace (tests/netns-run.sh).
//
// Environment: JANUS (the binary, default "janus" in PATH), JANUS_LIBDIR (its
// modules, default: found under /usr/lib), JANUS_DEBUG_LEVEL (0-7, default 3).
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { waitFor } from './proc.mjs';

const CONFIG_DIR = fileURLToPath(new URL('../janus/', import.meta.url));
const FILES = ['janus.jcfg', 'janus.plugin.videoroom.jcfg', 'janus.transport.http.jcfg'];

function findLibdir() {
  if (process.env.JANUS_LIBDIR) return process.env.JANUS_LIBDIR;
  const hasModules = (dir) => existsSync(join(dir, 'plugins/libjanus_videoroom.so'))
    && existsSync(join(dir, 'transports/libjanus_http.so'));
  const dirs = ['/usr/lib/janus', '/usr/local/lib/janus', '/opt/janus/lib/janus',
    ...readdirSync('/usr/lib').map((name) => join('/usr/lib', name, 'janus'))];
  return dirs.find(hasModules) || null;
}

// A port nothing listens on now (the kernel's choice).
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

// Starts Janus and resolves once GET <url>/info answers 200: { url, port,
// pid, output(), stop() } (stop: SIGTERM, SIGKILL after 5 s, then the
// temporary folder is removed). Throws if Janus is missing, exits or stays
// silent. @streaming (bench/fanout.mjs): the text of a
// janus.plugin.streaming.jcfg; the Streaming plugin is then loaded too and
// sessions never time out.
export async function startJanus(timeoutMs = 20000, { streaming = null } = {}) {
  const libdir = findLibdir();
  if (!libdir) throw new Error('Janus is not installed (Debian package janus)');
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'rtc-janus-'));
  for (const f of FILES) {
    const text = readFileSync(join(CONFIG_DIR, f), 'utf8')
      .replaceAll('@PORT@', String(port))
      .replaceAll('@JANUS_LIBDIR@', libdir)
      .replaceAll('@CONFIGS_FOLDER@', dir)
      .replaceAll('@DEBUG_LEVEL@', process.env.JANUS_DEBUG_LEVEL || '3');
    writeFileSync(join(dir, f), streaming && f === 'janus.jcfg'
      ? text.replace('libjanus_streaming.so,', '').replace(/session_timeout = \d+/, 'session_timeout = 0')
      : text);
  }
  if (streaming) writeFileSync(join(dir, 'janus.plugin.streaming.jcfg'), streaming);
  const proc = spawn(process.env.JANUS || 'janus', ['-F', dir, '-C', join(dir, 'janus.jcfg')],
    { stdio: ['ignore', 'pipe', 'pipe'] });
  // The test process dying for any reason must not leave Janus behind.
  const killOnExit = () => proc.kill('SIGKILL');
  process.on('exit', killOnExit);
  let output = '';
  proc.stdout.on('data', (c) => { output += c.toString(); });
  proc.stderr.on('data', (c) => { output += c.toString(); });
  let spawnError = null;
  proc.on('error', (e) => { spawnError = e; });
  const exited = new Promise((done) => proc.once('exit', (code, signal) => done(code ?? signal)));
  const url = `http://127.0.0.1:${port}/janus`;
  const janus = {
    url,
    port,
    pid: proc.pid,
    output: () => output,
    stop: async () => {
      if (proc.exitCode === null && proc.signalCode === null) {
        proc.kill('SIGTERM');
        const timer = setTimeout(() => proc.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(timer);
      }
      process.off('exit', killOnExit);
      rmSync(dir, { recursive: true, force: true });
    },
  };
  try {
    await waitFor(async () => {
      if (spawnError) throw new Error(`cannot start Janus: ${spawnError.message}`);
      if (proc.exitCode !== null) throw new Error(`Janus exited at start (${proc.exitCode})`);
      try {
        return (await fetch(`${url}/info`, { signal: AbortSignal.timeout(2000) })).ok;
      } catch {
        return false;
      }
    }, timeoutMs, `Janus to answer on port ${port}`, 100);
  } catch (e) {
    await janus.stop();
    e.message += '\n' + output.slice(-3000);
    throw e;
  }
  return janus;
}
