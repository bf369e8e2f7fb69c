// A small WHEP (draft-ietf-wish-whep) and WHIP (RFC 9725) client for the
// viewer and publish pages: the exchange is the same, only the direction of
// the media differs. POSTs the offer at once (no waiting for ICE gathering),
// then trickles the browser's candidates to the session URL by PATCH, and
// restarts ICE on the same session by PATCH when the path breaks
// (restartIce(), RFC 9725 4.4.1.1).
'use strict';

class WhepClient {
  constructor(url, options = {}) {
    this.url = new URL(url, location.href).href;
    this.token = options.token || null;
    this.location = null;
    this.pending = [];
    this.flushTimer = null;
    this.restarting = false;
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

  // ICE restart on this session: new credentials of ours by PATCH
  // (If-Match: *), the server's new ones and its candidates in the 200's
  // fragment, applied as the answer to our new offer. Resolves true when
  // the server took it; false when it did not (a server without ICE
  // restart answers 4xx: start a new session then).
  async restartIce() {
    const pc = this.pc;
    if (!this.location || this.restarting || !pc || pc.signalingState !== 'stable') return false;
    this.restarting = true;
    try {
      pc.restartIce();
      const offer = await pc.createOffer();
      await pc.setLocalDescription(offer);
      const ufrag = (offer.sdp.match(/a=ice-ufrag:(\S+)/) || [])[1];
      const pwd = (offer.sdp.match(/a=ice-pwd:(\S+)/) || [])[1];
      const mid = (offer.sdp.match(/a=mid:(\S+)/) || [])[1] || '0';
      const frag = `a=ice-ufrag:${ufrag}\r\na=ice-pwd:${pwd}\r\n` +
        `m=audio 9 UDP/TLS/RTP/SAVPF 0\r\na=mid:${mid}\r\n`;
      let resp = null;
      try {
        resp = await fetch(this.location, {
          method: 'PATCH', body: frag,
          headers: { ...this.headers('application/trickle-ice-sdpfrag'), 'If-Match': '*' },
        });
      } catch (e) {
        console.warn('ICE restart PATCH failed', e);
      }
      if (!resp || resp.status !== 200) {
        if (resp) console.warn('the server did not restart ICE:', resp.status, (await resp.text()).trim());
        await pc.setLocalDescription({ type: 'rollback' });
        return false;
      }
      const answerFrag = await resp.text();
      await pc.setRemoteDescription({ type: 'answer', sdp: WhepClient.restartAnswer(pc.remoteDescription.sdp, answerFrag) });
      return true;
    } finally {
      this.restarting = false;
      this.scheduleFlush(0);
    }
  }

  // The answer to an ICE-restart offer: the session's answer @sdp with the
  // credentials and candidates of the server's fragment @frag.
  static restartAnswer(sdp, frag) {
    const ufrag = (frag.match(/a=ice-ufrag:(\S+)/) || [])[1];
    const pwd = (frag.match(/a=ice-pwd:(\S+)/) || [])[1];
    const candidates = frag.split(/\r?\n/).filter((l) => l.startsWith('a=candidate:'));
    const out = [];
    let inMedia = false;
    for (const line of sdp.split(/\r?\n/)) {
      if (!line || line.startsWith('a=candidate:') || line === 'a=end-of-candidates') continue;
      inMedia = inMedia || line.startsWith('m=');
      if (line.startsWith('a=ice-ufrag:')) out.push(`a=ice-ufrag:${ufrag}`);
      else if (line.startsWith('a=ice-pwd:')) out.push(`a=ice-pwd:${pwd}`);
      else out.push(line);
      // every m-section (BUNDLE: one transport) gets the candidates
      if (inMedia && line.startsWith('a=ice-pwd:')) out.push(...candidates, 'a=end-of-candidates');
    }
    return out.join('\r\n') + '\r\n';
  }

  // One PATCH per burst of candidates (RFC 8840 sdpfrag).
  async flush() {
    if (!this.location || this.pending.length === 0 || this.restarting) return;
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
