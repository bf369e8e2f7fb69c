// The debug page: polls /stats.json?details=1 each second (with the page's
// #token=, token.js) and shows every session of every stream and room: a
// graph of its rates, round trip and loss, its candidate pair, the states it
// went through while the page watched, and the SDP exchanged (ICE passwords
// hidden by the server). window.rtcDebug is its state (the tests read it).
'use strict';

(() => {
  const HISTORY = 120; // samples (seconds) kept per session
  const debug = window.rtcDebug = { polls: 0, error: null, sessions: new Map() };
  const root = document.getElementById('streams');
  const errorBox = document.getElementById('error');

  function el(tag, attrs = {}, text = null) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
    if (text !== null) e.textContent = text;
    return e;
  }

  function rate(bps) {
    if (bps === undefined) return '–';
    return bps >= 1e6 ? `${(bps / 1e6).toFixed(2)} Mb/s` : `${(bps / 1e3).toFixed(0)} kb/s`;
  }

  // One session's block: its table and canvas, made once, updated each poll.
  function block(stream, s) {
    const key = `${stream.stream}/${s.id}`;
    let d = debug.sessions.get(key);
    if (!d) {
      const box = el('section', { class: 'debug-session', 'data-session': s.id });
      const title = el('h3', {}, `${stream.element} ${stream.stream}: ${s.id}`);
      const canvas = el('canvas', { width: 640, height: 140 });
      const table = el('table', { class: 'stats' });
      const states = el('div', { class: 'hint states' });
      const sdp = el('details', { class: 'sdp' });
      const local = el('pre', { class: 'local-sdp' });
      const remote = el('pre', { class: 'remote-sdp' });
      sdp.append(el('summary', {}, 'SDP exchanged'), el('h4', {}, 'Ours'), local,
        el('h4', {}, 'The peer\'s'), remote);
      box.append(title, canvas, table, states, sdp);
      d = { key, id: s.id, stream: stream.stream, box, canvas, table, states, local, remote,
        samples: [], history: [] };
      debug.sessions.set(key, d);
    }
    return d;
  }

  function row(table, cells) {
    const tr = el('tr');
    for (let i = 0; i < cells.length; i += 2) {
      tr.append(el('th', {}, cells[i]));
      tr.append(el('td', {}, cells[i + 1]));
    }
    table.append(tr);
  }

  function pair(s) {
    if (!s['local-candidate-type']) return 'none selected';
    return `${s['local-candidate-type']} ${s['local-protocol']} ${s['local-address']} ⇄ ` +
      `${s['remote-candidate-type']} ${s['remote-protocol']} ${s['remote-address']}`;
  }

  function update(d, s) {
    const now = Date.now();
    d.last = s;
    // The peer connection's state (ICE and DTLS) and ICE's, as polled.
    const state = `${s['connection-state'] || s.state} (ICE ${s['ice-state'] || '?'})`;
    const lastState = d.history.length ? d.history[d.history.length - 1].state : null;
    if (state !== lastState) d.history.push({ at: now, state });
    d.samples.push({
      at: now, sent: s['bitrate-sent'], received: s['bitrate-received'],
      estimate: s['estimated-bitrate'],
      rtt: s['round-trip-time'] !== undefined ? s['round-trip-time'] * 1000 : undefined,
      lost: (s['sent-packets-lost'] || 0) + (s['received-packets-lost'] || 0),
    });
    if (d.samples.length > HISTORY) d.samples.shift();
    d.table.replaceChildren();
    row(d.table, ['State', s.state, 'Peer', s['peer-address'] || '–']);
    const ms = (t) => (t !== undefined ? `${(t * 1000).toFixed(0)} ms` : '–');
    row(d.table, ['Codecs', s.codecs || '–', 'Connected / media after',
      `${ms(s['connect-time'])} / ${ms(s['first-media-time'])}`]);
    row(d.table, ['Sent', rate(s['bitrate-sent']), 'Received', rate(s['bitrate-received'])]);
    row(d.table, ['Estimate', rate(s['estimated-bitrate']), s['tracks-sent'] !== undefined
      ? 'Tracks (sent / received / low layer)' : 'Rung', s['tracks-sent'] !== undefined
      ? `${s['tracks-sent']} / ${s['tracks-received']} / ${s['low-layer-tracks']}`
      : s.rung !== undefined ? String(s.rung) : '–']);
    row(d.table, ['Round trip', s['round-trip-time'] !== undefined
      ? `${(s['round-trip-time'] * 1000).toFixed(1)} ms` : '–', 'Lost (sent / received)',
    `${s['sent-packets-lost'] ?? '–'} / ${s['received-packets-lost'] ?? '–'}`]);
    row(d.table, ['NACK / PLI / FIR in', `${s['nack-received']} / ${s['pli-received']} / ${s['fir-received']}`,
      'out', `${s['nack-sent']} / ${s['pli-sent']} / ${s['fir-sent']}`]);
    const tr = el('tr');
    tr.append(el('th', {}, 'Candidate pair'));
    tr.append(el('td', { colspan: 3, class: 'pair' }, pair(s)));
    d.table.append(tr);
    for (const [label, field, cls] of [['Our candidates', 'local-candidates', 'local-candidates'],
      ['The peer\'s candidates', 'remote-candidates', 'remote-candidates']]) {
      const c = el('tr');
      c.append(el('th', {}, label));
      c.append(el('td', { colspan: 3, class: cls }, s[field] || '–'));
      d.table.append(c);
    }
    d.states.textContent = 'States: ' + d.history.map((h) =>
      `${new Date(h.at).toLocaleTimeString()} ${h.state}`).join(' → ');
    // Rewritten only when it changed (a renegotiation): a reader's selection stays.
    for (const [pre, text] of [[d.local, s['local-sdp']], [d.remote, s['remote-sdp']]])
      if (pre.textContent !== (text || '–')) pre.textContent = text || '–';
    draw(d);
  }

  const COLORS = { sent: '#4af', received: '#4d4', estimate: '#fa4', rtt: '#f55', lost: '#c6f' };

  function draw(d) {
    const c = d.canvas.getContext('2d');
    const w = d.canvas.width;
    const h = d.canvas.height;
    c.fillStyle = '#181818';
    c.fillRect(0, 0, w, h);
    const xs = (i) => w - (d.samples.length - 1 - i) * (w / HISTORY);
    const top = Math.max(1e5, ...d.samples.flatMap((p) => [p.sent || 0, p.received || 0, p.estimate || 0]));
    const rttTop = Math.max(50, ...d.samples.map((p) => p.rtt || 0));
    const line = (key, scale) => {
      c.strokeStyle = COLORS[key];
      c.lineWidth = 1.5;
      c.beginPath();
      let started = false;
      d.samples.forEach((p, i) => {
        if (p[key] === undefined) { started = false; return; }
        const y = h - 4 - (p[key] / scale) * (h - 8);
        if (started) c.lineTo(xs(i), y); else c.moveTo(xs(i), y);
        started = true;
      });
      c.stroke();
    };
    line('sent', top);
    line('received', top);
    line('estimate', top);
    line('rtt', rttTop);
    c.fillStyle = COLORS.lost;
    d.samples.forEach((p, i) => {
      if (i > 0 && p.lost > d.samples[i - 1].lost) c.fillRect(xs(i) - 1, 0, 3, 8);
    });
    c.fillStyle = '#aaa';
    c.font = '11px sans-serif';
    c.fillText(rate(top), 4, 12);
    c.fillText(`${rttTop.toFixed(0)} ms`, w - 50, 12);
  }

  async function poll() {
    try {
      const token = window.rtcPageToken();
      const r = await fetch('/stats.json?details=1', { headers: token ? { Authorization: `Bearer ${token}` } : {} });
      if (!r.ok) throw new Error(`/stats.json: ${r.status} ${(await r.text()).trim()}`);
      const j = await r.json();
      debug.error = null;
      errorBox.hidden = true;
      const seen = new Set();
      const children = [];
      for (const stream of j.streams) {
        const head = el('h2', {}, `${stream.element} ${stream.stream}: ${stream['n-sessions']} ` +
          `sessions, ${stream.connected} connected, ${stream.handshakes} connecting`);
        children.push(head);
        for (const s of stream.sessions || []) {
          const d = block(stream, s);
          update(d, s);
          seen.add(d.key);
          children.push(d.box);
        }
      }
      for (const key of [...debug.sessions.keys()])
        if (!seen.has(key)) debug.sessions.delete(key);
      root.replaceChildren(...children);
    } catch (e) {
      debug.error = String(e.message || e);
      errorBox.textContent = debug.error;
      errorBox.hidden = false;
    }
    debug.polls++;
    setTimeout(poll, 1000);
  }
  poll();
})();
