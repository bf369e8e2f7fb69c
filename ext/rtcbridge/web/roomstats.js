// roomstats.js: the connection quality of a room's remote tracks, for
// RoomClient.stats() in room.js (served at /static/roomstats.js).
import { judgeQuality } from '/static/quality.js';

// Per remote track of @remote (a RoomClient's mid -> remote track entry):
// decoding, loss, jitter, the selected ICE pair's RTT and a `quality` of
// good/fair/poor/stalled, judged against what the entry's lastStats (kept
// here for the next call) saw last time.
export async function remoteTrackStats(pc, remote) {
  let rtt = null;
  // One report for the whole connection (a getStats per receiver costs
  // each a round of the browser's WebRTC threads): inbound-rtp by track.
  const inbound = new Map();
  try {
    const report = await pc.getStats();
    let selected = null;
    report.forEach((r) => {
      if (r.type === 'transport' && r.selectedCandidatePairId) selected = report.get(r.selectedCandidatePairId);
      if (r.type === 'inbound-rtp' && r.trackIdentifier) inbound.set(r.trackIdentifier, r);
    });
    if (!selected) {
      report.forEach((r) => {
        if (r.type === 'candidate-pair' && (r.selected || (r.nominated && r.state === 'succeeded'))) selected = r;
      });
    }
    if (selected && typeof selected.currentRoundTripTime === 'number') rtt = selected.currentRoundTripTime;
  } catch (e) { /* closed meanwhile */ }
  const out = [];
  for (const entry of remote.values()) {
    const s = { mid: entry.mid, participant: entry.participant, trackId: entry.trackId, kind: entry.kind,
      label: entry.label, muted: entry.muted, rtt, framesDecoded: 0, framesPerSecond: 0, width: 0, height: 0,
      bytesReceived: 0, packetsReceived: 0, packetsLost: 0, jitter: 0, lossRate: 0, quality: 'unknown' };
    const take = (r) => {
      s.framesDecoded = r.framesDecoded || 0;
      s.width = r.frameWidth || 0;
      s.height = r.frameHeight || 0;
      s.bytesReceived = r.bytesReceived || 0;
      s.packetsReceived = r.packetsReceived || 0;
      s.packetsLost = Math.max(0, r.packetsLost || 0);
      s.jitter = r.jitter || 0;
      s.framesPerSecond = r.framesPerSecond || 0;
    };
    const receiver = entry.transceiver.receiver;
    const found = receiver.track && inbound.get(receiver.track.id);
    if (found) {
      take(found);
    } else {
      try { // a browser without trackIdentifier
        (await receiver.getStats()).forEach((r) => { if (r.type === 'inbound-rtp') take(r); });
      } catch (e) { /* closed meanwhile */ }
    }
    const prev = entry.lastStats;
    const now = performance.now();
    if (prev) {
      const received = s.packetsReceived - prev.packetsReceived;
      const lost = s.packetsLost - prev.packetsLost;
      s.lossRate = received + lost > 0 ? Math.max(0, lost) / (received + lost) : 0;
      const stalled = entry.kind === 'video' ? s.framesDecoded === prev.framesDecoded : received === 0;
      s.quality = judgeQuality({ lossRate: s.lossRate, rtt, stalled: stalled && !entry.muted });
    }
    entry.lastStats = { packetsReceived: s.packetsReceived, packetsLost: s.packetsLost, framesDecoded: s.framesDecoded, at: now };
    out.push(s);
  }
  return out;
}
