// quality.js: one judgement of a received stream's quality for every page
// (the viewer page's indicator, the room's tiles through roomstats.js),
// served at /static/quality.js. @lossRate: packets lost / expected since the
// last look; @rtt: the selected pair's round trip in seconds, or null;
// @stalled: nothing decoded (video) or received (audio) since then.
export function judgeQuality({ lossRate, rtt, stalled }) {
  if (stalled) return 'stalled';
  if (lossRate < 0.02 && (rtt === null || rtt < 0.3)) return 'good';
  if (lossRate < 0.1 && (rtt === null || rtt < 0.6)) return 'fair';
  return 'poor';
}
