// A small WHEP (draft-ietf-wish-whep) and WHIP (RFC 9725) client for the
// viewer and publish pages: the exchange is the same, only the direction of
// the media differs. POSTs the offer at once (no waiting for ICE gathering),
// then trickles the browser's candidates to the session URL by PATCH.
'use strict';

class WhepClient {
  constructor(url, options = {}) {
    this.url = new URL(url, location.href).href;
    this.token = options.token || null;
    this.location = null;
    this.pending = [];
    this.flushTimer = null;
  }

  headers(contentType) {
    const h = {};
    if (contentType) h['Content-Type'] = contentType;
    if (this.token) h.Authorization = 'Bearer ' + this.token;
    return h;
  }

  async connect(pc) {
    this.pc = pc;
    pc.addEventListener('icecandidate', (e) => {
      if (e.candidate && e.candidate.candidate) this.pending.push(e.candidate);
      this.scheduleFlush(e.candidate ? 20 : 0);
    });
    // The offer goes out before the browser gathers: the 201 may name ICE
    // servers (Link headers, RFC 9725 4.6; TURN with credentials made for
    // this session), and gathering starts with them once the offer is set
    // as the local description, below.
    const offer = await pc.createOffer();
    // A server that never answers must not leave the page waiting forever.
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), 15000);
    let resp;
    try {
      resp = await fetch(this.url, {
        method: 'POST', headers: this.headers('application/sdp'), body: offer.sdp,
        signal: abort.signal,
      });
    } catch (e) {
      console.error('POST failed:', e.name === 'AbortError' ? 'no answer in 15 s' : e.message);
      const err = new Error('the server did not answer');
      err.status = 0;
      throw err;
    } finally {
      clearTimeout(timer);
    }
    if (resp.status !== 201) {
      const err = new Error((await resp.text()).trim() || resp.statusText);
      err.status = resp.status;
      err.retryAfter = Number(resp.headers.get('Retry-After')) || 0;
      throw err;
    }
    const loc = resp.headers.get('Location');
    this.location = loc ? new URL(loc, this.url).href : null;
    const answer = await resp.text();
    const servers = WhepClient.iceServers(resp.headers.get('Link'));
    if (servers.length) {
      try {
        pc.setConfiguration({ ...pc.getConfiguration(), iceServers: servers });
      } catch (e) {
        console.warn('the ICE servers the server named are not usable:', e.message);
      }
    }
    await pc.setLocalDescription(offer);
    await pc.setRemoteDescription({ type: 'answer', sdp: answer });
    this.scheduleFlush(0);
  }

  // RTCIceServer entries from the Link headers (fetch joins them with ", ")
  // whose rel is "ice-server".
  static iceServers(links) {
    const out = [];
    for (const link of (links || '').split(/,\s*(?=<)/)) {
      const url = (link.match(/^\s*<([^>]+)>/) || [])[1];
      const param = (name) => {
        const m = link.match(new RegExp(`;\\s*${name}=(?:"([^"]*)"|([^;,\\s]*))`));
        return m ? (m[1] !== undefined ? m[1] : m[2]) : undefined;
      };
      if (!url || param('rel') !== 'ice-server') continue;
      const server = { urls: url };
      if (param('username') !== undefined) {
        server.username = param('username');
        server.credential = param('credential');
      }
      out.push(server);
    }
    return out;
  }

  scheduleFlush(delayMs) {
    if (this.flushTimer) return;
    this.flushTimer = setTimeout(() => { this.flushTimer = null; this.flush(); }, delayMs);
  }

  // One PATCH per burst of candidates (RFC 8840 sdpfrag).
  async flush() {
    if (!this.location || this.pending.length === 0) return;
    const batch = this.pending.splice(0);
    const sdp = this.pc.localDescription.sdp;
    const ufrag = (sdp.match(/a=ice-ufrag:(\S+)/) || [])[1];
    const pwd = (sdp.match(/a=ice-pwd:(\S+)/) || [])[1];
    let frag = `a=ice-ufrag:${ufrag}\r\na=ice-pwd:${pwd}\r\n`;
    const byMid = new Map();
    for (const c of batch) {
      const mid = c.sdpMid != null ? c.sdpMid : String(c.sdpMLineIndex);
      if (!byMid.has(mid)) byMid.set(mid, []);
      byMid.get(mid).push(c.candidate);
    }
    for (const [mid, lines] of byMid) {
      frag += `m=audio 9 UDP/TLS/RTP/SAVPF 0\r\na=mid:${mid}\r\n`;
      for (const l of lines) frag += `a=${l}\r\n`;
    }
    try {
      await fetch(this.location, {
        method: 'PATCH', headers: this.headers('application/trickle-ice-sdpfrag'), body: frag,
      });
    } catch (e) {
      console.warn('PATCH failed', e);
    }
  }

  async disconnect(keepalive = false) {
    const loc = this.location;
    this.location = null;
    if (!loc) return;
    try {
      await fetch(loc, { method: 'DELETE', headers: this.headers(), keepalive });
    } catch (e) {
      console.warn('DELETE failed', e);
    }
  }
}

window.WhepClient = WhepClient;
window.WhipClient = WhepClient; // same exchange, the page adds send-only tracks
