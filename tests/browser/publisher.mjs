// Starts a pipeline (webrtcpublish, webrtcroom, ...) with gst-launch-1.0 -m
// on a free port and resolves with the port announced in its
// "<element>-listening" message. startRoomHost () runs the same description
// with roomhost.py instead: the test can then act on the element "room"
// (send ('mute <id> 1')).
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { stopper } from './proc.mjs';

export function startPublisher(launchArgs, timeoutMs = 30000, program = ['gst-launch-1.0', '-m']) {
  const proc = spawn(program[0], [...program.slice(1), ...launchArgs], { stdio: ['pipe', 'pipe', 'pipe'] });
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
          send: (line) => proc.stdin.write(line + '\n'),
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

export function startRoomHost(launchArgs, timeoutMs = 30000) {
  const script = fileURLToPath(new URL('./roomhost.py', import.meta.url));
  return startPublisher(launchArgs, timeoutMs, ['/usr/bin/python3', script]);
}
