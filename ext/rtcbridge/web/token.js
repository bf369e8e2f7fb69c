// The page's bearer token, taken from its URL once and removed from it:
// "#token=..." (a fragment never reaches the server, its logs or a proxy)
// or "?token=..." (accepted too; it did reach the server). The address bar,
// the history and a bookmark keep the page's URL without it.
'use strict';

window.rtcPageToken = (() => {
  let token = null;
  return () => {
    if (token !== null) return token || null;
    const url = new URL(location.href);
    const hash = new URLSearchParams(url.hash.replace(/^#/, ''));
    token = hash.get('token') || url.searchParams.get('token') || '';
    if (hash.has('token') || url.searchParams.has('token')) {
      hash.delete('token');
      url.searchParams.delete('token');
      const rest = hash.toString();
      url.hash = rest ? '#' + rest : '';
      history.replaceState(history.state, '', url.toString());
    }
    return token || null;
  };
})();
