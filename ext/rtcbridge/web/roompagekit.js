// roompagekit.js: what the room's pages (conference, board, voice) share:
// the room's name from the path, the query parameters, the display name
// (remembered in localStorage), the state line and the error line.
export const params = new URLSearchParams(location.search);
export const roomName = decodeURIComponent(location.pathname.split('/').filter(Boolean).pop() || 'room');
export const $ = (id) => document.getElementById(id);
export const errors = []; // every error shown, for the tests

export function setState(text) { $('state').textContent = text ? `· ${text}` : ''; }

export function showError(text) {
  if (text) errors.push(text);
  $('error').textContent = text || '';
  $('error').hidden = !text;
}

// The name field: ?name=, the one used last time, or a guest's.
export function initName() {
  $('display-name').value = params.get('name') || localStorage.getItem('rtcbridge.name')
    || `Guest ${Math.floor(1000 + Math.random() * 9000)}`;
}

// The name typed (at most 64 characters), remembered for next time.
export function takeName() {
  const name = $('display-name').value.trim().slice(0, 64) || 'Guest';
  localStorage.setItem('rtcbridge.name', name);
  return name;
}

// Joins @room: the join form gives way to the section @sectionId; false
// (the error shown, the form usable again) when it could not.
export async function joinRoom(room, sectionId) {
  setState('joining');
  try {
    await room.join();
  } catch (e) {
    showError(`Could not join: ${e.message}`);
    $('join').disabled = false;
    return false;
  }
  $('join-form').hidden = true;
  $(sectionId).hidden = false;
  return true;
}
