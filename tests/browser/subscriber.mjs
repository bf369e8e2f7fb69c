// Runs tests/peers/subscriber.py (a webrtcsubscribe pipeline) and follows
// its reports: resolves with the WHIP server's port once it listens.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { onLines, stopper } from './proc.mjs';

const SCRIPT = fileURLToPath(new URL('../peers/subscriber.py', import.meta.url));

export function startSubscriber(props = [], timeoutMs = 30000) {
  const proc = spawn('/usr/bin/python3', [SCRIPT, 'port=0', ...props],
    { stdio: ['pipe', 'pipe', 'pipe'] });
  let output = '';
  let stats = null;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error('subscriber did not start:\n' + output.slice(-3000)));
    }, timeoutMs);
    onLines(proc.stdout, (line) => {
      if (line.startsWith('STATS ')) stats = JSON.parse(line.slice(6));
      else output += line + '\n';
      const m = line.match(/^LISTENING (\d+)/);
      if (m) {
        clearTimeout(timer);
        resolve({ port: Number(m[1]), stats: () => stats, output: () => output, stop: stopper(proc) });
      }
    });
    proc.stderr.on('data', (c) => { output += c.toString(); });
    proc.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`subscriber exited (${code}):\n` + output.slice(-3000)));
    });
  });
}
