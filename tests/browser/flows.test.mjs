// The pages in a real browser against the real server (wz serve --demo on a
// random port). Two contexts — a citizen's phone and the staff's desk —
// click through: online application with the camera, a service-window
// session with consent and the result on both screens, a declined consent,
// hotel check-in, an upgrade at the kiosk, the admin console, the demo
// registry office and the multi-party view. Every page is screenshotted to
// target/browser-screenshots (WZ_SCREENSHOTS).
//
// The camera is Chromium's fake device playing a photo of the demo citizen;
// a photo cannot perform the liveness action, so this server runs with
// WZ_DEMO_LIVENESS=presence (one face, same person; decision 19; its lips
// are not required to move while the voice is heard). Face detection and
// comparison with the registry portrait are real, and so are the voice
// activity and the English recogniser on what the fake microphone plays.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, readFileSync, copyFileSync } from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { startServer, startBrowser, context, fakeCamera, fakeMicrophone, shot, watch, ROOT } from './harness.mjs';

let server, browser, citizen, staff, wallet, setup, microphone;
const errors = [];

before(async () => {
  server = await startServer();
  microphone = fakeMicrophone(server.dir);
  browser = await startBrowser(fakeCamera(server.dir, 'Colin_Powell'), microphone);
  citizen = await context(browser, server.url, 'phone');
  staff = await context(browser, server.url, 'desk');
  wallet = await citizen.newPage();
  watch(wallet, errors);
  setup = await (await fetch(server.url + '/v1/demo/setup')).json();
});

after(async () => {
  await browser?.close();
  server?.stop();
  assert.deepEqual(errors, [], 'pages logged errors');
});

async function staffPage(pathname) {
  const page = await staff.newPage();
  watch(page, errors);
  await page.goto(pathname);
  return page;
}

// Waits for `ok` to show; if the page shows an error status first, fails
// with its text (the API's message and code).
async function until(page, ok, bad, timeout = 60_000) {
  await page.waitForSelector(`${ok}, ${bad}`, { timeout });
  if (!(await page.isVisible(ok))) assert.fail(`${page.url()}: ${await page.textContent(bad)}`);
}

// An SM2 request key's public half, made by `wz rp keygen` as an RP would.
function requestKey(dir) {
  const out = execFileSync(process.env.WZ_BIN || path.join(ROOT, 'target/debug/wz'), ['rp', 'keygen', '--out', path.join(dir, `rp-${Date.now()}.key`)]).toString();
  return out.match(/\b(04[0-9a-f]{128})\b/)[1];
}

// The citizen whose portrait is Colin_Powell/1.jpg; the camera shows 2.jpg.
const colin = () => setup.citizens.find((c) => c.portrait_source === 'Colin_Powell');

test('landing page says what WangZheng does and walks a first visitor through the demo', async () => {
  const page = await staffPage('/');
  for (const href of ['/wallet', '/window', '/hotel', '/kiosk', '/admin', '/registry-office']) {
    assert.ok(await page.$(`a[href="${href}"]`), `landing page links ${href}`);
  }
  assert.match(await page.textContent('.intro'), /我就是我/);
  const steps = await page.$$eval('ol.demo-path > li > a', (links) => links.map((a) => a.getAttribute('href')));
  assert.deepEqual(steps, ['/registry-office', '/wallet', '/window', '/hotel', '/kiosk']);
  await page.waitForFunction((id) => document.querySelector('#demo-window').textContent === id, setup.window.client_id);
  assert.equal(await page.textContent('#demo-hotel'), setup.hotel.client_id);
  assert.ok(await page.$('svg.who-talks'), 'a picture of who talks to whom');
  await shot(page, '00-landing');
  await page.click('#lang');
  assert.match(await page.textContent('.intro'), /I am me/);
  await page.click('#lang');
  await page.close();
  // Phone-sized: nothing wider than the screen.
  await wallet.goto('/');
  await wallet.waitForSelector('svg.who-talks');
  assert.ok(await wallet.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), 'the landing page fits a phone');
  await shot(wallet, '00-landing-phone');
});

test('citizen applies online with the camera and gets a light credential', async () => {
  await wallet.goto('/wallet');
  await shot(wallet, '01-wallet-welcome');
  await wallet.click('#go-apply');
  await wallet.waitForSelector(`#demo-person option[value="${colin().id_number}"]`, { state: 'attached' });
  await wallet.selectOption('#demo-person', colin().id_number);
  await wallet.click('#apply-start');
  await wallet.waitForSelector('#apply-camera:not([hidden])');
  await wallet.waitForSelector('#apply-video[data-ready]', { state: 'attached' });
  assert.match(await wallet.textContent('#challenge-digits'), /^\d{4,}$/);
  await shot(wallet, '02-wallet-liveness');
  const sent = wallet.waitForRequest((r) => r.url().endsWith('/v1/credentials/light'));
  await wallet.click('#apply-capture');
  await until(wallet, '#card:not([hidden])', '#apply-status.bad');
  await wallet.waitForFunction(() => document.querySelector('#credential-card').dataset.state === 'success');
  assert.match(await wallet.textContent('#card-level'), /^L3/);
  await shot(wallet, '03-wallet-credential');
  // The reading went with the frames, in the one format the server takes,
  // each frame stamped on the recording's clock.
  const { frames, speech } = JSON.parse((await sent).postData());
  assert.equal(speech.language, 'zh');
  assert.equal(speech.frame_times_ms.length, frames.length);
  const wav = Buffer.from(speech.audio, 'base64');
  assert.equal(wav.toString('latin1', 0, 4) + wav.toString('latin1', 8, 12), 'RIFFWAVE');
  assert.deepEqual([wav.readUInt16LE(20), wav.readUInt16LE(22), wav.readUInt32LE(24), wav.readUInt16LE(34)], [1, 1, 16000, 16]);
  const ms = ((wav.length - 44) / 32000) * 1000;
  assert.ok(speech.frame_times_ms.every((at, i) => at >= 250 && at < ms && (i === 0 || at > speech.frame_times_ms[i - 1])), `frame times ${speech.frame_times_ms} within ${ms} ms of audio`);
});

test('read in English, the digits heard must be the challenge\'s', async () => {
  // A second phone, on the English page. The fake microphone says 四七一九
  // in Mandarin: the English recogniser
  // does not hear this challenge's digits in it, so the reading is refused
  // with the advice to read the digits aloud (nothing is issued).
  const phone = await context(browser, server.url, 'phone');
  const page = await phone.newPage();
  watch(page, errors);
  await page.goto('/wallet');
  await page.click('#lang');
  await page.click('#go-apply');
  const other = setup.citizens.find((c) => c.portrait_source && c.portrait_source !== 'Colin_Powell');
  await page.waitForSelector(`#demo-person option[value="${other.id_number}"]`, { state: 'attached' });
  await page.selectOption('#demo-person', other.id_number);
  await page.click('#apply-start');
  await page.waitForSelector('#apply-video[data-ready]', { state: 'attached' });
  const sent = page.waitForRequest((r) => r.url().endsWith('/v1/credentials/light'));
  await page.click('#apply-capture');
  await page.waitForSelector('#apply-status.bad', { timeout: 60_000 });
  assert.equal(JSON.parse((await sent).postData()).speech.language, 'en');
  assert.match(await page.textContent('#apply-status'), /read the digits aloud.*\(liveness_failed\)/);
  await phone.close();
});

test('the language switch turns the wallet into English and back', async () => {
  await wallet.click('#lang');
  assert.equal(await wallet.textContent('#go-qr'), 'Show my code');
  await shot(wallet, '04-wallet-credential-en');
  await wallet.click('#lang');
  assert.equal(await wallet.textContent('#go-qr'), '出示网证码');
});

// The window console signs in per tab (sessionStorage); demo mode fills in
// the demo RP's credentials.
async function windowConsole() {
  const desk = await staffPage('/window');
  await desk.waitForFunction(() => document.querySelector('#rp-id').value !== '' || !document.querySelector('#start').hidden);
  if (await desk.isVisible('#signin')) {
    await shot(desk, '10-window-signin');
    await desk.click('#signin-go');
  }
  await until(desk, '#start:not([hidden])', '#signin-status.bad');
  return desk;
}

async function openWindowSession(mode) {
  const desk = await windowConsole();
  await desk.selectOption('#mode', mode);
  await desk.fill('#purpose', '户籍证明开具');
  await desk.click('#session-go');
  await desk.waitForSelector('#live:not([hidden])');
  await desk.waitForFunction(() => document.querySelector('#steps').dataset.state === 'created');
  return desk;
}

test('service window: rotating code, scan by picture, consent with face, result on both screens', async () => {
  const desk = await openWindowSession('portrait_credential');
  const first = await desk.getAttribute('#frame', 'data-payload');
  await desk.waitForFunction((f) => document.querySelector('#frame').dataset.payload !== f, first, { timeout: 3000 });
  await shot(desk, '11-window-code');
  // The citizen photographs the counter screen: the picture goes through the
  // vendored jsQR in the wallet.
  const picture = path.join(server.dir, 'frame.png');
  await desk.locator('#frame').screenshot({ path: picture });
  await wallet.click('#go-scan');
  await wallet.setInputFiles('#scan-file', picture);
  await until(wallet, '#consent:not([hidden])', '#scan-status.bad');
  assert.match(await wallet.textContent('#consent-rp'), /城市政务服务中心/);
  assert.equal(await wallet.textContent('#consent-purpose'), '户籍证明开具');
  await desk.waitForFunction(() => document.querySelector('#steps').dataset.state === 'scanned');
  await shot(wallet, '05-wallet-consent');
  await shot(desk, '12-window-scanned');
  await wallet.click('#consent-accept');
  await until(wallet, '#result:not([hidden])', '#consent-status.bad');
  assert.equal(await wallet.getAttribute('#result-status', 'data-result'), 'success');
  await shot(wallet, '06-wallet-result');
  await desk.waitForSelector('#outcome:not([hidden])');
  await desk.waitForFunction(() => document.querySelector('#outcome-verified').dataset.verified !== undefined);
  assert.equal(await desk.getAttribute('#outcome', 'data-result'), 'success');
  assert.equal(await desk.getAttribute('#outcome-verified', 'data-verified'), 'true', 'the console checks the SM2 signature');
  assert.equal(await desk.getAttribute('#steps', 'data-state'), 'completed');
  const fields = await desk.textContent('#outcome-fields');
  assert.ok(fields.includes(colin().name), 'granted and consented: the full name reaches the window');
  await shot(desk, '13-window-result');
  await desk.close();
});

test('service window: a declined consent reaches the console', async () => {
  const desk = await openWindowSession('credential');
  await wallet.click('#result button[data-back]');
  await wallet.click('#go-scan');
  await wallet.fill('#scan-text', await desk.getAttribute('#frame', 'data-payload'));
  await wallet.click('#scan-submit');
  await until(wallet, '#consent:not([hidden])', '#scan-status.bad');
  await wallet.click('#consent-decline');
  await wallet.waitForSelector('#result:not([hidden])');
  assert.equal(await wallet.getAttribute('#result-status', 'data-result'), 'consent_declined');
  await desk.waitForFunction(() => document.querySelector('#steps').dataset.state === 'declined');
  assert.match(await desk.textContent('#live-status'), /拒绝/);
  await shot(desk, '14-window-declined');
  await desk.close();
});

test('wallet history lists the use and the refusal', async () => {
  await wallet.click('#result button[data-back]');
  await wallet.click('#go-history');
  await wallet.waitForFunction(() => document.querySelectorAll('#history-rows tr').length >= 1 && !document.querySelector('#history-rows').textContent.includes('…'));
  const text = await wallet.textContent('#history-rows');
  assert.match(text, /城市政务服务中心/);
  await shot(wallet, '07-wallet-history');
  await wallet.click('#history button[data-back]');
});

test('hotel desk: the guest shows the wallet code, the desk records the permitted fields', async () => {
  await wallet.click('#go-qr');
  await wallet.waitForFunction(() => document.querySelector('#qr-image').dataset.payload?.startsWith('WZQR1:'));
  await shot(wallet, '08-wallet-qr');
  const picture = path.join(server.dir, 'wallet-code.png');
  await wallet.locator('#qr-image').screenshot({ path: picture });
  const desk = await staffPage('/hotel');
  await desk.waitForFunction(() => document.querySelector('#rp-id').value !== '');
  await desk.click('#signin-go');
  await desk.waitForSelector('#desk:not([hidden])');
  await desk.setInputFiles('#code-file', picture);
  await until(desk, '#desk-status.ok', '#desk-status.bad', 10_000);
  await desk.check('#with-photo');
  await desk.waitForFunction(() => document.querySelector('#photo-video').videoWidth > 0);
  await shot(desk, '20-hotel-desk');
  await desk.click('#verify');
  await until(desk, '#guest:not([hidden])', '#desk-status.bad');
  assert.equal(await desk.getAttribute('#guest', 'data-result'), 'success');
  await desk.waitForFunction(() => document.querySelector('#guest-verified').dataset.verified !== undefined);
  assert.equal(await desk.getAttribute('#guest-verified', 'data-verified'), 'true');
  const recorded = await desk.$$eval('[data-field]', (els) => els.map((e) => e.dataset.field));
  assert.deepEqual(recorded.sort(), ['address', 'ethnicity', 'id_number', 'name', 'sex']);
  assert.equal(await desk.textContent('[data-field="id_number"]'), colin().id_number);
  await shot(desk, '21-hotel-guest');
  await desk.close();
  await wallet.click('#qr button[data-back]');
});

// Upgrades the wallet page `phone` to L4 at the kiosk page `kiosk`: the
// kiosk's enrolment code scanned, the card file of `idNumber`, the password
// twice on the keypad, the face; `shoot` names the steps' screenshots.
async function upgradeAtKiosk(kiosk, phone, idNumber, password, shoot = async () => {}) {
  const cardFile = path.join(server.dir, `card-${idNumber}.json`);
  const card = await (await fetch(server.url + '/v1/demo/cards', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ id_number: idNumber }) })).json();
  writeFileSync(cardFile, JSON.stringify(card));
  await kiosk.waitForSelector('#register-demo:not([hidden])');
  await shoot(kiosk, '30-kiosk-setup');
  await kiosk.click('#register-demo');
  await kiosk.waitForSelector('#start:not([hidden])');
  await kiosk.click('#begin');
  await kiosk.waitForSelector('#step-qr:not([hidden])');
  await kiosk.waitForFunction(() => document.querySelector('#enrol-qr').dataset.payload?.startsWith('WZENROL1:'));
  await shoot(kiosk, '31-kiosk-code');
  await phone.click('#go-upgrade');
  await phone.fill('#enrol-text', await kiosk.getAttribute('#enrol-qr', 'data-payload'));
  await phone.click('#enrol-submit');
  await phone.waitForFunction(() => /终端/.test(document.querySelector('#enrol-status').textContent));
  await kiosk.click('#to-card');
  await kiosk.setInputFiles('#card-file', cardFile);
  await kiosk.waitForSelector('#step-pin:not([hidden])');
  for (const round of [0, 1]) {
    for (const digit of password) await kiosk.click(`#keypad button[data-key="${digit}"]`);
    if (round === 0) await shoot(kiosk, '32-kiosk-keypad');
    await kiosk.click('#keypad button[data-key="✓"]');
  }
  await kiosk.waitForSelector('#step-face:not([hidden])');
  await kiosk.waitForFunction(() => document.querySelector('#face-video').videoWidth > 0);
  await kiosk.click('#face-go');
  await until(kiosk, '#done:not([hidden])', '#face-status.bad');
  assert.match(await kiosk.textContent('#done-status'), /L4/);
  await shoot(kiosk, '33-kiosk-done');
  await phone.waitForSelector('#card:not([hidden])', { timeout: 30_000 });
  await phone.waitForFunction(() => document.querySelector('#card-level').textContent.startsWith('L4'));
}

test('kiosk: enrolment code, card file, password twice on the keypad, face: the wallet is upgraded to L4', async () => {
  const kiosk = await staffPage('/kiosk');
  await upgradeAtKiosk(kiosk, wallet, colin().id_number, '20261123', shot);
  await shot(wallet, '09-wallet-upgraded');
  // The password set at the kiosk checks from the wallet.
  await wallet.click('#go-password');
  await wallet.fill('#password-input', '20261123');
  await wallet.click('#password-check');
  await wallet.waitForSelector('#password-status.ok');
  await wallet.click('#password button[data-back]');
  // A kiosk that ends an enrolment tells the waiting wallet at once.
  await kiosk.click('#again');
  await kiosk.click('#begin');
  await kiosk.waitForFunction(() => document.querySelector('#enrol-qr').dataset.payload?.startsWith('WZENROL1:'));
  await wallet.click('#go-upgrade');
  await wallet.fill('#enrol-text', await kiosk.getAttribute('#enrol-qr', 'data-payload'));
  await wallet.click('#enrol-submit');
  await wallet.waitForFunction(() => /终端/.test(document.querySelector('#enrol-status').textContent));
  await kiosk.click('#end-qr');
  await kiosk.waitForSelector('#start-status.ok');
  await wallet.waitForFunction(() => /已结束/.test(document.querySelector('#enrol-status').textContent), null, { timeout: 10_000 });
  assert.ok(await wallet.$('#enrol-status.bad'), 'the wallet shows the ended enrolment as a refusal');
  await wallet.click('#enrol button[data-back]').catch(() => {});
  await kiosk.close();
});

test('admin console: RPs, terminals, card status, audit chain, live metrics', async () => {
  const admin = await staffPage('/admin');
  await admin.fill('#token', server.adminToken);
  await admin.click('#signin-go');
  await admin.waitForSelector('#console:not([hidden])');
  await admin.waitForFunction((id) => !!document.querySelector(`[data-rp="${id}"]`), setup.window.client_id);
  await admin.fill('#rp-name', '示范银行 Demo Bank');
  await admin.selectOption('#rp-category', 'bank');
  await admin.check('#rp-modes input[value="portrait_credential"]');
  await admin.check('#rp-grants input[value="name"]');
  await admin.click('#rp-create');
  await admin.waitForSelector('#rp-secret:not([hidden])');
  assert.match(await admin.textContent('#rp-secret'), /rp-[0-9a-f]+ : [0-9a-f]{64}/);
  // Edit it: grant the ID number too and register an SM2 request key.
  const bank = (await admin.textContent('#rp-secret')).match(/(rp-[0-9a-f]+) :/)[1];
  await admin.waitForSelector(`[data-rp="${bank}"]`);
  await admin.click(`[data-rp="${bank}"] button:has-text("编辑")`);
  await admin.check('#rp-grants input[value="id_number"]');
  await admin.fill('#rp-key', requestKey(server.dir));
  // …and make it an OpenID Connect client with SM2 ID tokens.
  await admin.fill('#rp-redirects', 'https://bank.example/oidc/callback');
  await admin.selectOption('#rp-id-token-alg', 'SM2');
  await admin.click('#rp-save');
  await admin.waitForSelector('#rp-status.ok');
  await admin.waitForFunction((id) => document.querySelector(`[data-rp="${id}"]`)?.textContent.includes('公民身份号码'), bank);
  const registry = await (await fetch(server.url + '/v1/relying-parties')).json();
  const edited = registry.relying_parties.find((rp) => rp.id === bank);
  assert.deepEqual([edited.grants.sort(), edited.public_key?.length], [['id_number', 'name'], 130]);
  assert.deepEqual([edited.oidc?.redirect_uris, edited.oidc?.id_token_signed_response_alg], [['https://bank.example/oidc/callback'], 'SM2']);
  // Report another demo citizen's card lost.
  const other = setup.citizens.find((c) => c.portrait_source === 'George_W_Bush');
  await admin.fill('#id-number', other.id_number);
  await admin.selectOption('#id-status', 'reported_lost');
  await admin.click('#id-change');
  await admin.waitForSelector('#id-result.ok');
  await admin.click('#audit-verify');
  await admin.waitForFunction(() => document.querySelector('#audit-result').dataset.intact === 'true');
  // The metrics count the outcomes of the flows above (success and
  // declined), then a burst of refused codes from a desk shows as a rate.
  await admin.waitForFunction(() => Number(document.querySelector('#total').textContent) >= 3, undefined, { timeout: 10_000 });
  const hotel = 'Basic ' + Buffer.from(`${setup.hotel.client_id}:${setup.hotel.client_secret}`).toString('base64');
  for (let i = 0; i < 30; i++) {
    const r = await fetch(server.url + '/v1/authentications', { method: 'POST', headers: { authorization: hotel, 'content-type': 'application/json' },
      body: JSON.stringify({ mode: 'qr_verify', purpose: 'check-in', code: 'WZQR1:AAAA' }) });
    assert.ok(r.status < 500);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  await admin.waitForFunction(() => Number(document.querySelector('#rate').textContent) > 0, undefined, { timeout: 10_000 });
  assert.match(await admin.textContent('#failures'), /consent_declined/);
  await shot(admin, '40-admin-console');
  await admin.close();
});

test('demo registry office: enrol yourself with the camera, then apply with your own face', async () => {
  const office = await staffPage('/registry-office');
  await office.fill('#name', '访客');
  await office.click('#camera');
  await office.waitForFunction(() => document.querySelector('#video').videoWidth > 0);
  await shot(office, '50-registry-office');
  await office.click('#enrol');
  await until(office, '#card:not([hidden])', '#status.bad');
  assert.match(await office.textContent('#card-id'), /^\d{17}[\dX]$/);
  assert.ok(await office.getAttribute('#download', 'href'));
  await shot(office, '51-registry-office-card');
  // The visitor's own phone now lists them in the application form.
  const phone = await citizen.browser().newContext({ baseURL: server.url, viewport: { width: 390, height: 844 }, permissions: ['camera'] });
  const visitor = await phone.newPage();
  watch(visitor, errors);
  await visitor.goto('/registry-office');
  await visitor.evaluate((self) => localStorage.setItem('wz.demo.self', self), await office.evaluate(() => localStorage.getItem('wz.demo.self')));
  await visitor.goto('/wallet');
  await visitor.click('#go-apply');
  const id = await office.textContent('#card-id');
  await visitor.waitForSelector(`#demo-person option[value="${id}"]`, { state: 'attached' });
  await visitor.selectOption('#demo-person', id);
  assert.equal(await visitor.inputValue('#apply-name'), '访客');
  await visitor.click('#apply-start');
  await visitor.waitForSelector('#apply-video[data-ready]', { state: 'attached' });
  await visitor.click('#apply-capture');
  await until(visitor, '#card:not([hidden])', '#apply-status.bad');
  await phone.close();
  await office.close();
});

// The wallet page `phone` opens a multi-party invitation's text and consents.
async function openInvitation(phone, code) {
  await phone.goto('/wallet');
  await phone.click('#go-scan');
  await phone.fill('#scan-text', code);
  await phone.click('#scan-submit');
  await until(phone, '#consent:not([hidden])', '#scan-status.bad');
  await phone.click('#consent-accept');
  await until(phone, '#result:not([hidden])', '#consent-status.bad');
}

test('multi-party view: one invitation per participant, each state shown', async () => {
  const desk = await windowConsole();
  await desk.fill('#participants', '股东甲, 股东乙');
  await desk.click('#transaction-go');
  await desk.waitForSelector('#multi:not([hidden])');
  await desk.waitForFunction(() => document.querySelectorAll('#multi-parts [data-session]').length === 2);
  const invitation = await desk.getAttribute('#multi-parts [data-session] img', 'data-payload');
  assert.match(invitation, /^WZI1:/);
  await openInvitation(wallet, invitation);
  await desk.waitForFunction(() => /已完成/.test(document.querySelector('#multi-parts').textContent));
  await shot(desk, '15-window-multi-party');
  await desk.close();
});

// A website for the OpenID Connect tests: a loopback server whose
// /callback receives the browser, registered as a client (acr L2 needs the
// face); `push` is its back end's pushed authorization request.
async function oidcSite() {
  const { createServer } = await import('node:http');
  const { createHash, randomBytes } = await import('node:crypto');
  let arrived;
  let landed = new Promise((resolve) => { arrived = resolve; });
  const site = createServer((request, response) => {
    if (request.url.startsWith('/callback')) arrived(new URL(request.url, 'http://127.0.0.1'));
    response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    response.end('<!doctype html><title>办事大厅</title><h1 id="signed-in">已登录 · Signed in</h1>');
  });
  await new Promise((resolve) => site.listen(0, '127.0.0.1', resolve));
  const redirect = `http://127.0.0.1:${site.address().port}/callback`;
  const registered = await (await fetch(server.url + '/v1/admin/relying-parties', {
    method: 'POST',
    headers: { authorization: `Bearer ${server.adminToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name: '市民网上办事大厅', category: 'government', modes: ['portrait_credential'], grants: ['name'], oidc: { redirect_uris: [redirect] } }),
  })).json();
  const id = registered.relying_party.id;
  const basic = 'Basic ' + Buffer.from(`${id}:${registered.client_secret}`).toString('base64');
  const verifier = randomBytes(32).toString('base64url');
  const form = (fields) => ({ method: 'POST', headers: { authorization: basic, 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(fields) });
  return {
    async authorizationPath() {
      landed = new Promise((resolve) => { arrived = resolve; });
      const pushed = await (await fetch(server.url + '/oidc/par', form({ response_type: 'code', client_id: id, redirect_uri: redirect, scope: 'openid profile', acr_values: 'L2',
        state: 'st-1', nonce: 'n-1', code_challenge: createHash('sha256').update(verifier).digest('base64url'), code_challenge_method: 'S256' }))).json();
      return `/oidc/authorize?client_id=${id}&request_uri=${encodeURIComponent(pushed.request_uri)}`;
    },
    landed: () => landed,
    // The site's back end: the callback's code for an ID token, checked.
    async signedIn(back) {
      assert.equal(back.searchParams.get('state'), 'st-1');
      assert.equal(back.searchParams.get('iss'), server.url);
      const tokens = await (await fetch(server.url + '/oidc/token', form({ grant_type: 'authorization_code', code: back.searchParams.get('code'), redirect_uri: redirect, code_verifier: verifier }))).json();
      assert.ok(tokens.id_token, `the code is redeemed: ${JSON.stringify(tokens)} ${back.href}`);
      const claims = JSON.parse(Buffer.from(tokens.id_token.split('.')[1], 'base64url').toString());
      assert.ok(['L2', 'L3', 'L4'].includes(claims.acr), `acr ${claims.acr} reaches the L2 asked for`);
      assert.ok(claims.amr.includes('face'), 'the face was compared');
      assert.equal(claims.nonce, 'n-1');
      return claims;
    },
    close: () => site.close(),
  };
}

// The demo website that `wz serve --demo` starts (the Rust `openidconnect`
// crate doing discovery, PKCE, nonce, the code exchange and the ID token's
// checks): its button sends the desk's browser to the platform's sign-in
// page, the phone scans the page's code and consents with the face, and
// the browser lands back on the website, signed in at L2 or above.
test('OpenID Connect: the demo website sends the browser to the QR sign-in page, the wallet consents with face, the website shows the citizen signed in', async () => {
  assert.ok(server.website, 'wz serve --demo prints the demo website');
  const desk = await staff.newPage();
  watch(desk, errors);
  await desk.goto(server.website + '/');
  await shot(desk, '16-oidc-website');
  await desk.click('#login-l2');
  await desk.waitForFunction(() => document.querySelector('#frame')?.dataset.payload?.startsWith('WZS1:'));
  assert.match(await desk.textContent('#oidc-asks'), /示例网站/);
  await shot(desk, '16-oidc-signin');
  const picture = path.join(server.dir, 'oidc-frame.png');
  await desk.locator('#frame').screenshot({ path: picture });
  await wallet.goto('/wallet');
  await wallet.click('#go-scan');
  await wallet.setInputFiles('#scan-file', picture);
  await until(wallet, '#consent:not([hidden])', '#scan-status.bad');
  assert.match(await wallet.textContent('#consent-rp'), /示例网站/);
  await wallet.click('#consent-accept');
  await until(wallet, '#result:not([hidden])', '#consent-status.bad');
  assert.equal(await wallet.getAttribute('#result-status', 'data-result'), 'success', 'the face matched');
  await desk.waitForSelector('#signed-in', { timeout: 20_000 });
  await shot(desk, '17-oidc-signed-in');
  assert.ok(['L2', 'L3', 'L4'].includes((await desk.textContent('#acr')).trim()), 'the level reached is at least L2');
  assert.match(await desk.textContent('#subject'), /^[0-9a-f]{16,}$/, 'a pairwise subject');
  await desk.close();
});

// On the phone itself: the site sends the phone's browser to the sign-in
// page, its link opens the wallet in the same browser, which takes the
// code from the page, asks for consent and the face, and sends the browser
// back to the site.
test('OpenID Connect on one device: the sign-in page opens the wallet, which sends the browser back to the site', async () => {
  const site = await oidcSite();
  try {
    await wallet.goto(await site.authorizationPath());
    await wallet.waitForFunction(() => document.querySelector('#same-device').getAttribute('href').startsWith('/wallet#signin=oa-'));
    await wallet.click('#same-device');
    await until(wallet, '#consent:not([hidden])', '#scan-status.bad');
    assert.match(await wallet.textContent('#consent-rp'), /市民网上办事大厅/);
    await shot(wallet, '0c-wallet-oidc-same-device');
    await wallet.click('#consent-accept');
    const back = await site.landed();
    await wallet.waitForSelector('#signed-in');
    await site.signedIn(back);
  } finally {
    site.close();
  }
});

// The online service hall (`wz hall serve`, its own database and keys, a
// government OpenID Connect client of the platform): the citizen opens
// 购房落户 on a computer, signs in by scanning the platform's code with the
// wallet and the face, finds the form pre-filled from the registries (the
// home bought, the household's members), adds a family member, and the
// rules approve it at once; the certificate's QR code, uploaded as a
// picture to the hall's public verify page, verifies.
// Signs the browser of `desk` in at the hall, which has sent it to the
// platform's QR sign-in page: the wallet page `phone` scans a picture of the
// code and consents with the face (and `password` where the level asks for
// it); the desk lands back on the hall.
async function hallSignIn(desk, phone, password) {
  const phases = {};
  await desk.waitForFunction(() => document.querySelector('#frame')?.dataset.payload?.startsWith('WZS1:'));
  phases.framed = Date.now();
  assert.match(await desk.textContent('#oidc-asks'), /市民网上办事大厅/);
  const picture = path.join(server.dir, `hall-frame-${Date.now()}.png`);
  await desk.locator('#frame').screenshot({ path: picture });
  await phone.goto('/wallet');
  await phone.click('#go-scan');
  await phone.setInputFiles('#scan-file', picture);
  await until(phone, '#consent:not([hidden])', '#scan-status.bad');
  phases.scanned = Date.now();
  assert.match(await phone.textContent('#consent-rp'), /网上办事大厅/);
  if (password) await phone.fill('#consent-password', password);
  const proof = phone.waitForRequest((r) => r.url().endsWith('/complete'));
  await phone.click('#consent-accept');
  const sent = await proof;
  phases.sent = Date.now();
  await until(phone, '#result:not([hidden])', '#consent-status.bad');
  phases.proved = Date.now();
  phases.server = Math.round(sent.timing().responseEnd);
  phases.proofBytes = sent.postData().length;
  assert.equal(await phone.getAttribute('#result-status', 'data-result'), 'success', 'the face matched');
  await desk.waitForURL((url) => url.href.startsWith(server.hall), { timeout: 20_000 });
  return phases;
}

// Another citizen's phone: a Chromium of its own, since the fake camera is
// per browser, showing a photo of `person`, and a light credential applied
// for on its web wallet as the demo citizen with that registry portrait.
async function phoneOf(person) {
  const own = await startBrowser(fakeCamera(server.dir, person), microphone);
  const page = await (await context(own, server.url, 'phone')).newPage();
  watch(page, errors);
  const who = setup.citizens.find((c) => c.portrait_source === person);
  assert.ok(who, `a demo citizen has the portrait of ${person}`);
  await page.goto('/wallet');
  await page.click('#go-apply');
  await page.waitForSelector(`#demo-person option[value="${who.id_number}"]`, { state: 'attached' });
  await page.selectOption('#demo-person', who.id_number);
  await page.click('#apply-start');
  await page.waitForSelector('#apply-video[data-ready]', { state: 'attached' });
  await page.click('#apply-capture');
  await until(page, '#card:not([hidden])', '#apply-status.bad');
  return { browser: own, page, who, desk: async (url) => (await context(own, url, 'desk')).newPage(), close: () => own.close() };
}

test('service hall: sign in by QR and face, apply for 购房落户 with a family member, approved automatically, the certificate verifies by its QR', async () => {
  assert.ok(server.hall, 'wz serve --demo prints the service hall');
  const desk = await staff.newPage();
  watch(desk, errors);
  await desk.goto(server.hall + '/');
  await shot(desk, '18-hall-home');
  const began = Date.now();
  await desk.click('#service-house_move');
  const phases = await hallSignIn(desk, wallet);
  await desk.waitForSelector('#property-0', { timeout: 20_000 });
  const signedIn = Date.now();
  assert.match(await desk.textContent('#who'), new RegExp(colin().name));
  await desk.check('#property-0');
  await desk.check('#members-0');
  const filled = Date.now();
  await shot(desk, '19-hall-form');
  // The hall's pages carry no scripts, fonts or style sheets of their own:
  // the HTML is the whole weight.
  const formBytes = Buffer.byteLength(await desk.content());
  const submitted = Date.now();
  await desk.click('#submit');
  await desk.waitForSelector('#state[data-state="approved"]', { timeout: 20_000 });
  const approved = Date.now();
  console.log(`# hall: service chosen to the approved page ${approved - began - (submitted - filled)} ms without the test's screenshot: sign-in ${signedIn - began} ms (QR page ${phases.framed - began}, the wallet scanning a picture of it ${phases.scanned - phases.framed}, filming while the digits are read ${phases.sent - phases.scanned}, the proof (${phases.proofBytes} bytes) sent and answered ${phases.server} and shown ${phases.proved - phases.sent - phases.server}, back to the form ${signedIn - phases.proved}), form ${filled - signedIn} ms, submit to approved page ${approved - submitted} ms; application to decision ${await desk.textContent('#elapsed-ms')} ms on the hall's clock`);
  await shot(desk, '20-hall-approved');
  await desk.click('#certificate');
  await desk.waitForSelector('#certificate-qr svg');
  await shot(desk, '21-hall-certificate');
  console.log(`# hall page weight: form ${formBytes} bytes, certificate ${Buffer.byteLength(await desk.content())} bytes (HTML with inline CSS and SVG, nothing else loaded)`);
  const qr = path.join(server.dir, 'hall-certificate-qr.png');
  await desk.locator('#certificate-qr').screenshot({ path: qr });
  // A third party, with no sign-in, uploads the picture.
  const verifier = await staff.browser().newContext({ baseURL: server.hall });
  const page = await verifier.newPage();
  watch(page, errors);
  await page.goto(server.hall + '/verify');
  await page.setInputFiles('#picture', qr);
  await page.click('#verify');
  await page.waitForSelector('#verify-result');
  assert.equal(await page.getAttribute('#verify-result', 'data-good'), 'true', await page.textContent('#verify-result'));
  await shot(page, '22-hall-verified');
  await verifier.close();
  await desk.close();
});

// The phone of demo citizen `c`: the shared wallet page for Colin (whose
// photo the main browser's camera shows), else a phone of its own.
async function phoneFor(c) {
  if (c.portrait_source === 'Colin_Powell') return { page: wallet, who: c, close: async () => {} };
  return phoneOf(c.portrait_source);
}

// A new desk-sized browser context on the hall, signed in as nobody.
async function hallDesk() {
  const page = await (await context(browser, server.hall, 'desk')).newPage();
  watch(page, errors);
  return page;
}

// Opens the service form on `desk`, signing in with `phone` when the hall
// asks for it.
async function openService(desk, code, phone) {
  await desk.goto(`/services/${code}`);
  await desk.waitForSelector('#frame, #submit');
  if (await desk.$('#frame')) await hallSignIn(desk, phone);
  await desk.waitForSelector('#submit');
}

// One character of a certificate's signed body changed.
function tamper(text) {
  const dot = text.trim().lastIndexOf('.');
  const head = text.slice(0, dot);
  return head.slice(0, -1) + (head.at(-1) === 'A' ? 'B' : 'A') + text.trim().slice(dot);
}

test('service hall back office: an officer signs in at L4 and approves a no-criminal-record certificate a third party verifies by its QR; a rejected application shows its reason; a tampered certificate is refused', async () => {
  // The demo's officer is featured citizen 7 (wz hall serve), on their own
  // phone, upgraded to L4 at a kiosk (officers sign in with password and face).
  const officer = await phoneOf(setup.citizens[6].portrait_source);
  try {
    assert.notEqual(officer.who.id_number, colin().id_number, 'the officer does not decide their own application');
    const kiosk = await officer.desk(server.url);
    watch(kiosk, errors);
    await kiosk.goto('/kiosk');
    await upgradeAtKiosk(kiosk, officer.page, officer.who.id_number, '13572468');
    await kiosk.close();

    // Colin applies twice: for a job, then for going abroad.
    const desk = await hallDesk();
    const applied = [];
    for (const purpose of ['就业', '出国']) {
      await openService(desk, 'no_criminal_record', wallet);
      await desk.fill('#purpose', purpose);
      await desk.click('#submit');
      await desk.waitForSelector('#state[data-state="in_review"]');
      applied.push({ url: desk.url(), id: (await desk.textContent('#application-id')).trim(), at: Date.now() });
    }
    const [job, abroad] = applied;

    // The officer: the back office asks for L4, the phone adds the password.
    const office = await officer.desk(server.hall);
    watch(office, errors);
    await office.goto('/office');
    await hallSignIn(office, officer.page, '13572468');
    await office.waitForSelector(`#queue a[href="/office/applications/${job.id}"]`);
    assert.ok(await office.$(`#queue a[href="/office/applications/${abroad.id}"]`), 'both wait in the queue');
    await shot(office, '23-hall-office-queue');
    await office.click(`#queue a[href="/office/applications/${job.id}"]`);
    await office.waitForSelector('#evidence');
    assert.match(await office.textContent('#evidence'), /违法犯罪/);
    await shot(office, '24-hall-office-review');
    await office.click('#approve');
    await office.waitForSelector('#state[data-state="approved"]');
    await office.goto(`/office/applications/${abroad.id}`);
    await office.fill('#decision-reason', '用途请写明前往的国家或地区');
    await office.click('#reject');
    await office.waitForSelector('#state[data-state="rejected"]');

    // The citizen reads both decisions, the rejection with its reason.
    await desk.goto(abroad.url);
    await desk.waitForSelector('#state[data-state="rejected"]');
    assert.match(await desk.textContent('#reason'), /用途请写明前往的国家或地区/);
    assert.equal(await desk.$('#certificate'), null, 'nothing is issued on a rejection');
    await shot(desk, '25-hall-rejected');
    await desk.goto(job.url);
    await desk.waitForSelector('#state[data-state="approved"]');
    console.log(`# hall: reviewed 无违法犯罪记录证明 submitted to approved ${Date.now() - job.at} ms including the officer's L4 sign-in and two decisions (application to decision ${await desk.textContent('#elapsed-ms')} ms)`);
    await desk.click('#certificate');
    await desk.waitForSelector('#certificate-qr svg');
    assert.match(await desk.textContent('body'), /无违法犯罪记录/);
    const qr = path.join(server.dir, 'hall-no-record-qr.png');
    await desk.locator('#certificate-qr').screenshot({ path: qr });
    const text = await (await desk.request.get(desk.url() + '/qr.txt')).text();

    // A third party (an employer), not signed in, uploads the QR's picture;
    // then pastes a copy with one character changed.
    const verifier = await hallDesk();
    await verifier.goto('/verify');
    await verifier.setInputFiles('#picture', qr);
    await verifier.click('#verify');
    await verifier.waitForSelector('#verify-result');
    assert.equal(await verifier.getAttribute('#verify-result', 'data-good'), 'true', await verifier.textContent('#verify-result'));
    assert.match(await verifier.textContent('#verify-result'), /无违法犯罪记录/);
    await verifier.goto('/verify');
    await verifier.fill('#text', tamper(text));
    await verifier.click('#verify');
    await verifier.waitForSelector('#verify-result');
    assert.equal(await verifier.getAttribute('#verify-result', 'data-good'), 'false', await verifier.textContent('#verify-result'));
    await shot(verifier, '26-hall-tampered-refused');
    await Promise.all([desk, office, verifier].map((p) => p.context().close()));
  } finally {
    await officer.close();
  }
});

test('service hall: a change of shareholders (股东变更) completes only after the third shareholder authenticates on their own phone', async () => {
  // Demo citizens 3 and 4 hold a company 60 % / 40 %; citizen 5 buys the
  // 40 % (docs/hall.md, "The demo city"). Each is on their own phone.
  const [holder, partner, buyer] = [setup.citizens[2], setup.citizens[3], setup.citizens[4]];
  const phones = [];
  try {
    for (const c of [holder, partner, buyer]) phones.push(await phoneFor(c));
    const desk = await hallDesk();
    await openService(desk, 'shareholder_change', phones[0].page);
    await desk.check('#company-0');
    await desk.check('#transferor-1');
    await desk.fill('#percent', '40');
    await desk.fill('#transferee_name', buyer.name);
    await shot(desk, '27-hall-shareholders-form');
    await desk.click('#submit');
    await desk.waitForSelector('#state[data-state="awaiting_parties"]');
    const invitation = (role) => desk.getAttribute(`tr[data-role="${role}"] .invitation`, 'data-payload');
    const [toPartner, toBuyer] = [await invitation('transferor'), await invitation('transferee')];
    assert.match(toPartner, /^WZI1:/);
    await shot(desk, '28-hall-shareholders-invited');
    // Each opens the invitation passed on to them and consents with the face.
    await openInvitation(phones[1].page, toPartner);
    await desk.waitForSelector('tr[data-role="transferor"] [data-done="true"]', { timeout: 20_000 });
    assert.equal(await desk.getAttribute('#state', 'data-state'), 'awaiting_parties', 'two of three is not enough');
    await openInvitation(phones[2].page, toBuyer);
    await desk.waitForSelector('#state[data-state="approved"]', { timeout: 20_000 });
    assert.ok(await desk.$('#certificate'), 'the change is registered and certified');
    await shot(desk, '29-hall-shareholders-approved');
    await desk.context().close();
  } finally {
    for (const phone of phones) await phone.close();
  }
});

test('lost phone: applying again on a new phone stops the old phone\'s credential', async () => {
  const phone = await citizen.browser().newContext({ baseURL: server.url, viewport: { width: 390, height: 844 }, permissions: ['camera'], isMobile: true, hasTouch: true, deviceScaleFactor: 2 });
  const newPhone = await phone.newPage();
  watch(newPhone, errors);
  await newPhone.goto('/wallet');
  await newPhone.click('#go-lost-new');
  await newPhone.waitForSelector('#lost:not([hidden])');
  await shot(newPhone, '0a-wallet-lost-phone');
  await newPhone.click('#lost-apply');
  await newPhone.waitForSelector(`#demo-person option[value="${colin().id_number}"]`, { state: 'attached' });
  await newPhone.selectOption('#demo-person', colin().id_number);
  await newPhone.click('#apply-start');
  await newPhone.waitForSelector('#apply-video[data-ready]', { state: 'attached' });
  await newPhone.click('#apply-capture');
  await until(newPhone, '#card:not([hidden])', '#apply-status.bad');
  await newPhone.waitForFunction(() => document.querySelector('#credential-card').dataset.state === 'success');
  // The old phone's wallet now reports its credential replaced.
  await wallet.goto('/wallet');
  await wallet.waitForFunction(() => !['', undefined].includes(document.querySelector('#credential-card').dataset.state));
  assert.equal(await wallet.getAttribute('#credential-card', 'data-state'), 'credential_replaced');
  await shot(wallet, '0b-wallet-old-phone');
  await phone.close();
});

// After every flow: the server's logs (JSON, info level) hold no name or ID
// number of anyone who took part, and no portrait.
// The challenge's digits in English, spliced from the per-digit espeak-ng
// clips (their silences trimmed) with short pauses, as a 16 kHz WAV.
function englishReading(digits) {
  const pcm = (digit) => {
    const wav = readFileSync(path.join(ROOT, 'crates/wz-speech/tests/audio/digits', `${digit}.wav`));
    const data = wav.indexOf('data', 12, 'latin1');
    const samples = new Int16Array(wav.buffer.slice(wav.byteOffset + data + 8, wav.byteOffset + data + 8 + wav.readUInt32LE(data + 4)));
    let [first, last] = [0, samples.length - 1];
    while (first < last && Math.abs(samples[first]) < 300) first++;
    while (last > first && Math.abs(samples[last]) < 300) last--;
    return samples.subarray(first, last + 1);
  };
  const silence = (ms) => new Int16Array(16 * ms);
  const parts = [silence(200), ...[...digits].flatMap((d) => [pcm(d), silence(150)]), silence(1500)];
  const body = Buffer.concat(parts.map((p) => Buffer.from(p.buffer, p.byteOffset, p.byteLength)));
  const header = Buffer.alloc(44);
  header.write('RIFF', 0, 'latin1'); header.writeUInt32LE(36 + body.length, 4); header.write('WAVEfmt ', 8, 'latin1');
  header.writeUInt32LE(16, 16); header.writeUInt16LE(1, 20); header.writeUInt16LE(1, 22); header.writeUInt32LE(16000, 24);
  header.writeUInt32LE(32000, 28); header.writeUInt16LE(2, 32); header.writeUInt16LE(16, 34); header.write('data', 36, 'latin1'); header.writeUInt32LE(body.length, 40);
  return Buffer.concat([header, body]);
}

test('read in English, the challenge\'s own digits are heard and the credential issued', async (t) => {
  // The fake microphone is re-read for each capture: once the challenge is
  // shown, the test puts its digits there. Whisper mishears synthetic
  // speech (docs/face.md, "Spoken digits": 81 of 120 espeak-ng readings
  // heard exactly), so up to four challenges are allowed — all four missed
  // about once in a hundred runs (two were missed in a CI run); the refusal
  // of wrong digits is the test above.
  const phone = await context(browser, server.url, 'phone');
  const page = await phone.newPage();
  watch(page, errors);
  let outcome = '';
  let attempts = 0;
  while (attempts < 4 && outcome !== 'issued') {
    attempts++;
    await page.goto('/wallet');
    if ((await page.textContent('#lang')) === 'English') await page.click('#lang');
    await page.click('#go-apply');
    await page.waitForSelector(`#demo-person option[value="${colin().id_number}"]`, { state: 'attached' });
    await page.selectOption('#demo-person', colin().id_number);
    await page.click('#apply-start');
    await page.waitForSelector('#apply-video[data-ready]', { state: 'attached' });
    writeFileSync(microphone, englishReading(await page.textContent('#challenge-digits')));
    await page.click('#apply-capture');
    await page.waitForSelector('#card:not([hidden]), #apply-status.bad', { timeout: 60_000 });
    outcome = (await page.isVisible('#card:not([hidden])')) ? 'issued' : await page.textContent('#apply-status');
  }
  assert.equal(outcome, 'issued');
  t.diagnostic(`heard right on attempt ${attempts}`);
  await page.waitForFunction(() => document.querySelector('#credential-card').dataset.state === 'success');
  copyFileSync(path.join(ROOT, 'crates/wz-speech/tests/audio/cmn_4719.wav'), microphone);
  await phone.close();
});

test('server logs carry no personal data', () => {
  const logs = server.logs();
  assert.ok(logs.includes('"message":"request"'), 'the request log lines were captured');
  for (const secret of [colin().name, colin().id_number, '访客', '/9j/']) {
    assert.ok(!logs.includes(secret), `server logs contain ${secret === '/9j/' ? 'a JPEG' : 'personal data'}`);
  }
});

