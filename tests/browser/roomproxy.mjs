// Firefox cannot be driven by playwright-core, so its room pages report to
// the test over HTTP. This proxy, on its own origin, forwards everything to
// the room's server (pages, scripts, the WebSocket upgrade) and adds a
// reporter to the room, board and voice pages it serves: every second the page's
// window.roomTest.state() (and boardHash() on the board) is posted to
// /__report on the proxy, whose answer carries the calls the test queued
// for that page (call(): a window.roomTest method and its arguments); the
// page posts each call's result to /__result. The product pages stay
// untouched.
import { createServer, request } from 'node:http';
import { connect } from 'node:net';

const REPORTER = `<script type="module">
const key = new URLSearchParams(location.search).get('name') || 'page';
const post = (path, body) => fetch(path, { method: 'POST', body: JSON.stringify(body) });
setInterval(async () => {
  if (!window.roomTest) return;
  let s;
  try {
    s = await window.roomTest.state();
    if (window.roomTest.boardHash) s.hash = await window.roomTest.boardHash();
  } catch (e) { s = { error: String(e) }; }
  let calls = [];
  try { calls = await (await post('/__report', { key, state: s })).json(); } catch (e) { /* going away */ }
  for (const c of calls) {
    let out;
    try { out = { value: await window.roomTest[c.fn](...c.args) }; } catch (e) { out = { error: String(e) }; }
    post('/__result', { id: c.id, ...out }).catch(() => {});
  }
}, 1000);
</script>`;

// Resolves with {base, reports (Map name -> last state), call(name, fn,
// ...args) (resolves with what window.roomTest[fn](...args) returned in
// that page), close()}.
export async function startRoomProxy(targetPort, targetHost = '127.0.0.1') {
  const reports = new Map();
  const queued = new Map(); // page name -> [{id, fn, args}]
  const waiting = new Map(); // call id -> {resolve, reject}
  let nextId = 1;
  const call = (key, fn, ...args) => new Promise((resolve, reject) => {
    const id = nextId++;
    waiting.set(id, { resolve, reject });
    queued.set(key, [...(queued.get(key) || []), { id, fn, args }]);
  });
  const server = createServer((req, res) => {
    if (req.method === 'POST' && (req.url === '/__report' || req.url === '/__result')) {
      let body = '';
      req.on('data', (c) => { body += c; });
      req.on('end', () => {
        let r = null;
        try { r = JSON.parse(body); } catch (e) { /* a page going away */ }
        if (r && req.url === '/__result') {
          const w = waiting.get(r.id);
          waiting.delete(r.id);
          if (w && 'error' in r) w.reject(new Error(r.error));
          else if (w) w.resolve(r.value);
          res.end('ok');
          return;
        }
        const calls = (r && queued.get(r.key)) || [];
        if (r) {
          reports.set(r.key, { ...r.state, reportedAt: Date.now() });
          queued.delete(r.key);
        }
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify(calls));
      });
      return;
    }
    const page = /^\/(room|board|voice)\/[^/?]+/.test(req.url);
    const headers = { ...req.headers, host: `${targetHost}:${targetPort}` };
    if (page) delete headers['accept-encoding'];
    const up = request({ host: targetHost, port: targetPort, method: req.method, path: req.url, headers }, (r) => {
      if (!page || !(r.headers['content-type'] || '').startsWith('text/html')) {
        res.writeHead(r.statusCode, r.headers);
        r.pipe(res);
        return;
      }
      let html = '';
      r.on('data', (c) => { html += c; });
      r.on('end', () => {
        const body = html.replace('</body>', `${REPORTER}</body>`);
        const h = { ...r.headers, 'content-length': Buffer.byteLength(body) };
        res.writeHead(r.statusCode, h);
        res.end(body);
      });
    });
    up.on('error', () => { res.writeHead(502); res.end(); });
    req.pipe(up);
  });
  // The WebSocket: the upgrade request as it came, then the bytes both ways.
  server.on('upgrade', (req, socket, head) => {
    const up = connect(targetPort, targetHost, () => {
      let text = `${req.method} ${req.url} HTTP/1.1\r\n`;
      for (let i = 0; i < req.rawHeaders.length; i += 2) {
        const name = req.rawHeaders[i];
        const value = name.toLowerCase() === 'host' ? `${targetHost}:${targetPort}` : req.rawHeaders[i + 1];
        text += `${name}: ${value}\r\n`;
      }
      up.write(text + '\r\n');
      if (head && head.length) up.write(head);
      up.pipe(socket);
      socket.pipe(up);
    });
    const end = () => { up.destroy(); socket.destroy(); };
    up.on('error', end);
    socket.on('error', end);
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return {
    base: `http://127.0.0.1:${server.address().port}`,
    reports,
    call,
    close: () => new Promise((r) => { server.closeAllConnections?.(); server.close(() => r()); }),
  };
}
