// After an ICE restart: whether the page's RTCPeerConnection
// (window[holder].pc) uses its new credentials: its transport reports the
// local ufrag of its latest description, and the selected pair succeeded
// with answers to its checks (the server's ICE agent took the new
// credentials). Null until then.
export function restartedPath(page, holder) {
  return page.evaluate(async (name) => {
    const pc = window[name].pc;
    const mine = (pc.localDescription.sdp.match(/a=ice-ufrag:(\S+)/) || [])[1];
    const report = await pc.getStats();
    let transport = null;
    report.forEach((r) => { if (r.type === 'transport') transport = r; });
    const pair = transport && report.get(transport.selectedCandidatePairId);
    return transport && transport.iceLocalUsernameFragment === mine && pair
      && pair.state === 'succeeded' && pair.responsesReceived > 0
      ? { ufrag: mine, iceState: transport.iceState, responses: pair.responsesReceived } : null;
  }, holder);
}
