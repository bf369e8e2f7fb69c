// Headless Firefox ESR publishes its fake camera and microphone through the
// plugin's publish page (WHIP, Start clicked) into a webrtcsubscribe pipeline: the pipeline
// decodes >= 60 frames and receives audio; killing Firefox (no DELETE) is
// noticed by the pipeline (publisher-timeout).
// Runs inside tests/netns-run.sh (see tests/meson.build).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startSubscriber } from './subscriber.mjs';
import { launchFirefox } from './firefox.mjs';
import { waitFor } from './proc.mjs';


test('Firefox publishes its camera and microphone into the pipeline', async () => {
  const sub = await startSubscriber(['publisher-timeout=3000']);
  const ff = launchFirefox(`http://127.0.0.1:${sub.port}/publish/live`);
  try {
    await ff.click('#start');
    const s = await waitFor(() => {
      const st = sub.stats();
      return st && st.video_frames >= 60 && st.audio_buffers >= 20 && st.width > 0 ? st : null;
    }, 90000, `60 frames from Firefox (pipeline ${JSON.stringify(sub.stats())})`);
    console.log('pipeline', JSON.stringify(s));
    assert.equal(s.video_caps, 'video/x-raw');
    assert.equal(s.connected, 1);
    assert.deepEqual(s.errors, []);
    await ff.close(); // gone without a word
    await waitFor(() => sub.stats().disconnected >= 1, 20000, 'the silent publisher to be removed');
  } finally {
    await ff.close();
    await sub.stop();
  }
});
