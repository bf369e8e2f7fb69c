// The page's bearer token, taken from its URL's fragment once and removed
// from it: "#token=..." (a fragment never reaches the server, its logs or a
// proxy). "?token=..." is not read: a token in the query has already been
// sent to the server and everything between. The address bar, the history
// and a bookmark keep the page's URL without it.
'use strict';

window.rtcPageToken = (() => {
  let token = null;
  return () => {
    if (token !== null) return token || null;
    const url = new URL(location.href);
    const hash = new URLSearchParams(url.hash.replace(/^#/, ''));
    token = hash.get('token') || '';
    if (hash.has('token')) {
      hash.delete('token');
      const rest = hash.toString();
      url.hash = rest ? '#' + rest : '';
      history.replaceState(history.state, '', url.toString());
    }
    return token || null;
  };
})();
