// TURN for real: Debian's coturn (use-auth-secret: credentials from a shared
// secret, the TURN REST scheme) inside the test's network namespace, and
// webrtcpublish with turn-servers + turn-secret. Each viewer's 201 carries
// TURN credentials made for it (Link headers); the viewer page, opened with
// ?relay=1, may use relayed candidates only:
//  - over UDP: the page plays, its selected pair is relayed, coturn logged
//    an allocation for a "<expiry>:live" user;
//  - over TCP (a publisher that names only turn:...?transport=tcp), with the
//    pipeline relay-only too (ice-transport-policy=relay: both sides go
//    through coturn, the pipeline with credentials of its own);
//  - over TLS (turns:, coturn's certificate from a test CA that only this
//    test's Chromium trusts: its NSS store under a HOME of its own).
// Runs inside tests/netns-run.sh (see tests/meson.build).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import { startPublisher } from './publisher.mjs';
import { launchChromium } from './chromium.mjs';
import { waitFor, stopper } from './proc.mjs';

// The veth end the test namespace has (tests/netns-run.sh).
const TURN_IP = '10.213.0.2';
const TURN_PORT = 3478;
const TURNS_PORT = 5349;

// A test CA and coturn's certificate for TURN_IP signed by it, in @dir;
// @home/.pki/nssdb trusts the CA (where Chromium on Linux looks).
function makeCertificates(dir, home) {
  const ssl = (...args) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  ssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-subj', '/CN=rtc test CA', '-days', '2', '-keyout', 'ca.key', '-out', 'ca.pem');
  ssl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-subj', `/CN=${TURN_IP}`, '-keyout', 'turn.key', '-out', 'turn.csr');
  writeFileSync(join(dir, 'san.cnf'), `subjectAltName=IP:${TURN_IP}\n`);
  ssl('x509', '-req', '-in', 'turn.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial',
    '-days', '2', '-extfile', 'san.cnf', '-out', 'turn.pem');
  const db = `sql:${join(home, '.pki', 'nssdb')}`;
  execFileSync('mkdir', ['-p', join(home, '.pki', 'nssdb')]);
  execFileSync('certutil', ['-N', '-d', db, '--empty-password']);
  execFileSync('certutil', ['-A', '-d', db, '-t', 'C,,', '-n', 'rtc-test-ca', '-i', join(dir, 'ca.pem')]);
  return { cert: join(dir, 'turn.pem'), key: join(dir, 'turn.key') };
}

function startCoturn(secret, tls) {
  const proc = spawn('turnserver', [
    '-n', '-v', '--listening-ip', TURN_IP, '--relay-ip', TURN_IP, '--listening-port', String(TURN_PORT),
    '--tls-listening-port', String(TURNS_PORT), '--cert', tls.cert, '--pkey', tls.key,
    '--use-auth-secret', '--static-auth-secret', secret, '--realm', 'rtc.test',
    '--no-dtls', '--no-cli', '--simple-log', '--log-file', 'stdout',
    '--min-port', '49152', '--max-port', '49400', '--pidfile', '/dev/null',
  ], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  proc.stdout.on('data', (c) => { output += c.toString(); });
  proc.stderr.on('data', (c) => { output += c.toString(); });
  return { proc, output: () => output, stop: stopper(proc) };
}

const tcpOpen = (host, port) => new Promise((resolve) => {
  const s = connect(port, host, () => { s.destroy(); resolve(true); });
  s.on('error', () => resolve(false));
});

function launchLine(extra) {
  return [
    'videotestsrc', 'is-live=true', '!', 'video/x-raw,width=320,height=240,framerate=15/1', '!',
    'webrtcpublish', 'name=pub', 'port=0', ...extra,
  ];
}

// Opens /view/live?relay=1 and waits for it to play; returns its stats.
async function playRelayed(browser, base, pub, coturn) {
  const page = await browser.context.newPage();
  page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') console.log('page:', m.text()); });
  await page.goto(`${base}/view/live?relay=1`);
  try {
    await page.waitForFunction(() => window.rtcViewer.stats.framesDecoded > 30 && window.rtcViewer.stats.path,
      null, { timeout: 60000, polling: 250 });
  } catch (e) {
    console.log('viewer page:', await page.evaluate(() => JSON.stringify({
      state: window.rtcViewer.state, error: window.rtcViewer.error, stats: window.rtcViewer.stats,
    })).catch(() => 'page gone'));
    console.log('pipeline:', pub.output().slice(-2000));
    console.log('coturn:', coturn.output().slice(-3000));
    throw e;
  }
  const stats = await page.evaluate(() => window.rtcViewer.stats);
  const text = await page.evaluate(() => document.getElementById('path').textContent);
  await page.close();
  return { stats, text };
}

test('viewers play through coturn with short-lived credentials, over UDP, TCP and TLS', { timeout: 240000 }, async () => {
  const secret = randomBytes(16).toString('hex');
  const dir = mkdtempSync(join(tmpdir(), 'rtc-turn-'));
  const home = join(dir, 'home');
  const coturn = startCoturn(secret, makeCertificates(dir, home));
  let browser = null;
  const pubs = [];
  try {
    for (const port of [TURN_PORT, TURNS_PORT]) {
      await waitFor(() => tcpOpen(TURN_IP, port), 20000, `coturn listening on ${port}`).catch((e) => {
        console.log('coturn:', coturn.output().slice(-3000));
        throw e;
      });
    }
    browser = await launchChromium(null, [], { HOME: home });

    // UDP: the page relays, the pipeline uses its host candidates.
    const udp = await startPublisher(launchLine([
      `turn-servers=turn://${TURN_IP}:${TURN_PORT}`, `turn-secret=${secret}`,
    ]));
    pubs.push(udp);
    const a = await playRelayed(browser, `http://127.0.0.1:${udp.port}`, udp, coturn);
    console.log('UDP viewer:', JSON.stringify(a));
    assert.equal(a.stats.path.type, 'relay');
    assert.equal(a.stats.path.relayProtocol, 'udp');
    assert.equal(a.text, 'relayed (TURN over udp)');
    assert.equal(a.stats.width, 320);

    // TCP, the pipeline relay-only as well.
    const tcp = await startPublisher(launchLine([
      `turn-servers=turn://${TURN_IP}:${TURN_PORT}?transport=tcp`, `turn-secret=${secret}`,
      'ice-transport-policy=relay',
    ]));
    pubs.push(tcp);
    const b = await playRelayed(browser, `http://127.0.0.1:${tcp.port}`, tcp, coturn);
    console.log('TCP viewer:', JSON.stringify(b));
    assert.equal(b.stats.path.type, 'relay');
    assert.equal(b.stats.path.relayProtocol, 'tcp');
    // The pipeline's side of the pair is its own relayed candidate.
    assert.equal(b.stats.path.remoteType, 'relay');
    assert.equal(a.stats.path.remoteType, 'host');

    // TLS: the CA is trusted by this Chromium alone.
    const tls = await startPublisher(launchLine([
      `turn-servers=turns://${TURN_IP}:${TURNS_PORT}?transport=tcp`, `turn-secret=${secret}`,
    ]));
    pubs.push(tls);
    const c = await playRelayed(browser, `http://127.0.0.1:${tls.port}`, tls, coturn);
    console.log('TLS viewer:', JSON.stringify(c));
    assert.equal(c.stats.path.type, 'relay');
    assert.equal(c.stats.path.relayProtocol, 'tls');
    assert.equal(c.text, 'relayed (TURN over tls)');

    // coturn saw users made from the secret: "<expiry>:live", expiring
    // about a day from now (turn-credential-lifetime's default).
    const users = [...coturn.output().matchAll(/user <(\d+):live>: incoming packet ALLOCATE processed, success/g)]
      .map((m) => Number(m[1]));
    // (the three pages, and the relay-only pipeline)
    assert.ok(users.length >= 4, `allocations by REST users: ${users.length}\n${coturn.output().slice(-2000)}`);
    const now = Date.now() / 1000;
    for (const expiry of users) assert.ok(expiry > now + 86000 && expiry < now + 86500, `expiry ${expiry}`);
    // Nothing logged the secret.
    for (const p of pubs) assert.ok(!p.output().includes(secret), 'the pipeline printed the TURN secret');
  } finally {
    if (browser) await browser.close();
    for (const p of pubs) await p.stop();
    await coturn.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
