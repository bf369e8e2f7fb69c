// Starts a pipeline (webrtcpublish, webrtcroom, ...) with gst-launch-1.0 -m
// on a free port and resolves with the port announced in its
// "<element>-listening" message.
import { spawn } from 'node:child_process';
import { stopper } from './proc.mjs';

export function startPublisher(launchArgs, timeoutMs = 30000) {
  const proc = spawn('gst-launch-1.0', ['-m', ...launchArgs], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error('publisher did not start:\n' + output.slice(-3000)));
    }, timeoutMs);
    const onData = (chunk) => {
      output += chunk.toString();
      const m = output.match(/webrtc\w+-listening.*port=\(uint\)(\d+)/);
      if (m) {
        clearTimeout(timer);
        resolve({
          port: Number(m[1]),
          proc,
          output: () => output,
          stop: stopper(proc),
        });
      }
    };
    proc.stdout.on('data', onData);
    proc.stderr.on('data', (c) => { output += c.toString(); });
    proc.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`publisher exited (${code}):\n` + output.slice(-3000)));
    });
  });
}
