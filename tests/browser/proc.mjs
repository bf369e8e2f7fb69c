// Small helpers the browser tests share: polling, child processes that
// report line by line, stopping them.

import { execFileSync } from 'node:child_process';

// Polls @fn every @pollMs until it returns something truthy (returned), or
// throws naming @what after @timeoutMs.
export async function waitFor(fn, timeoutMs, what, pollMs = 200) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, pollMs));
  }
}

// Calls @fn with each complete line @stream (a child's stdout) prints.
export function onLines(stream, fn) {
  let buffered = '';
  stream.on('data', (chunk) => {
    buffered += chunk.toString();
    const lines = buffered.split('\n');
    buffered = lines.pop();
    for (const line of lines) fn(line);
  });
}

// A stop() for @proc: SIGINT (clean shutdown), SIGKILL after 10 s;
// resolves with the exit code. A process that did not stop in time has its
// threads' backtraces printed first (gdb), so a hang is diagnosed from the
// test's log.
export function stopper(proc) {
  return () => new Promise((done) => {
    if (proc.exitCode !== null) return done(proc.exitCode);
    proc.once('exit', (code) => done(code));
    proc.kill('SIGINT');
    setTimeout(() => {
      if (proc.exitCode !== null) return;
      try {
        const bt = execFileSync('gdb', ['-p', String(proc.pid), '-batch', '-nx',
          '-ex', 'thread apply all bt'], { timeout: 60000, stdio: ['ignore', 'pipe', 'pipe'] });
        console.error(`process ${proc.pid} did not stop in 10 s; its threads:\n${bt}`);
      } catch (e) {
        console.error(`process ${proc.pid} did not stop in 10 s (no backtrace: ${e.message})`);
      }
      proc.kill('SIGKILL');
    }, 10000).unref();
  });
}
