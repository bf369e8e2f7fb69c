// Runs tests/peers/datapeer.py (webrtcpublish with data channels) and talks
// to it: events it reports, commands with replies.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { onLines, stopper, waitFor } from './proc.mjs';

const SCRIPT = fileURLToPath(new URL('../peers/datapeer.py', import.meta.url));

export function startDataPeer(props = [], timeoutMs = 30000) {
  const proc = spawn('/usr/bin/python3', [SCRIPT, ...props], { stdio: ['pipe', 'pipe', 'pipe'] });
  let output = '';
  const events = [];
  const waiting = new Map();
  let nextId = 1;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error('data peer did not start:\n' + output.slice(-3000)));
    }, timeoutMs);
    onLines(proc.stdout, (line) => {
      if (line.startsWith('EVENT ')) {
        const ev = JSON.parse(line.slice(6));
        if (ev.type === 'reply' && waiting.has(ev.id)) {
          waiting.get(ev.id)(ev);
          waiting.delete(ev.id);
        } else {
          events.push(ev);
        }
        return;
      }
      output += line + '\n';
      const m = line.match(/^LISTENING (\d+)/);
      if (!m) return;
      clearTimeout(timer);
      resolve({
        port: Number(m[1]),
        events,
        output: () => output,
        // Sends a command; resolves with its reply.
        command: (cmd, replyTimeoutMs = 120000) => new Promise((res, rej) => {
          const id = nextId++;
          const t = setTimeout(() => rej(new Error(`no reply to ${JSON.stringify(cmd)}`)), replyTimeoutMs);
          waiting.set(id, (ev) => { clearTimeout(t); res(ev); });
          proc.stdin.write(JSON.stringify({ ...cmd, id }) + '\n');
        }),
        // Waits for an event matching @pred.
        waitEvent: (pred, what, ms = 30000) => waitFor(() => events.find(pred), ms, what, 100)
          .catch((e) => { throw new Error(`${e.message}; last events ${JSON.stringify(events.slice(-20))}`); }),
        stop: stopper(proc),
      });
    });
    proc.stderr.on('data', (c) => { output += c.toString(); });
    proc.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`data peer exited (${code}):\n` + output.slice(-3000)));
    });
  });
}
