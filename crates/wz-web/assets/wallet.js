// The citizen's wallet: device key, credential and QR key stay in this
// browser (localStorage); every call to the platform is signed with the
// device key.
'use strict';

(() => {
  const { $, t, api, show, status, errorText, fmtTime, fmtDate, el, qrImage, maskName, maskId } = WZ;
  const C = window.WZCrypto;
  const STORE = 'wz.wallet';
  let wallet = JSON.parse(localStorage.getItem(STORE) || 'null');
  const save = () => localStorage.setItem(STORE, JSON.stringify(wallet));

  function ensureKey() {
    if (!wallet || !wallet.priv) { wallet = { ...C.newKey() }; save(); }
    return wallet;
  }
  const signer = () => 'device:' + wallet.pub;
  const signed = (path, body) => WZ.signedPost(signer(), wallet, path, body);
  function keepCredential(issued, holder) {
    Object.assign(wallet, {
      credential: issued.credential, qr_key: issued.qr_key, serial: issued.serial, level: issued.level,
      issued_at_ms: issued.issued_at_ms, expires_at_ms: issued.expires_at_ms,
    });
    if (holder) wallet.holder = holder;
    save();
  }
  const hasCredential = () => wallet && wallet.credential;
  const home = () => (hasCredential() ? openCard() : show('welcome'));

  // ---- credential card ----
  async function openCard() {
    show('card');
    $('#card-level').textContent = `${wallet.level} · ${t('level.' + wallet.level)}`;
    $('#card-holder').textContent = wallet.holder ? `${maskName(wallet.holder.name)} ${maskId(wallet.holder.id_number)}` : '—';
    $('#card-serial').textContent = wallet.serial.slice(0, 16);
    $('#card-expiry').textContent = fmtDate(wallet.expires_at_ms);
    $('#card-state').textContent = '…';
    try {
      const state = await signed('/v1/wallet/status', { credential: wallet.credential });
      $('#card-state').textContent = state.state === 'success' ? t('state.usable') : `${t('code.' + state.state)} (${state.state})`;
      $('#credential-card').dataset.state = state.state;
    } catch (e) {
      $('#card-state').textContent = errorText(e);
      $('#credential-card').dataset.state = e.code;
    }
  }

  // ---- light application with the liveness challenge ----
  let challenge = null;
  async function startApply() {
    const name = $('#apply-name').value.trim();
    const id = $('#apply-id').value.trim().toUpperCase();
    if (!name || !/^\d{17}[\dX]$/.test(id)) { status('#apply-status', t('apply.fill_in'), 'bad'); return; }
    status('#apply-status', '');
    try {
      challenge = await api('POST', '/v1/liveness/challenges');
      $('#challenge-digits').textContent = challenge.digits;
      $('#challenge-action').textContent = t('action.' + challenge.action);
      $('#apply-camera').hidden = false;
      await WZCamera.start($('#apply-video'));
    } catch (e) { status('#apply-status', t('camera.failed') + ' ' + errorText(e), 'bad'); }
  }
  async function captureApply() {
    ensureKey();
    const button = $('#apply-capture');
    button.disabled = true;
    status('#apply-status', t('liveness.recording'), 'wait');
    try {
      // The digits are read aloud while the camera films: the microphone
      // opens first, the frames are stamped on its clock, and it keeps
      // listening a moment after the last frame for the last digit.
      const { frames, speech } = await liveSequence($('#apply-video'), $('#apply-progress'), 16);
      status('#apply-status', t('apply.checking'), 'wait');
      const holder = { name: $('#apply-name').value.trim(), id_number: $('#apply-id').value.trim().toUpperCase() };
      const issued = await signed('/v1/credentials/light', { ...holder, challenge_token: challenge.token, frames, speech });
      keepCredential(issued, holder);
      WZCamera.stop($('#apply-video'));
      status('#apply-status', t('apply.issued'), 'ok');
      openCard();
    } catch (e) {
      status('#apply-status', errorText(e), 'bad');
      $('#apply-camera').hidden = true;
    } finally { button.disabled = false; $('#apply-progress').value = 0; }
  }

  // ---- dynamic QR: single use, refreshed every 30 s ----
  let qrTimer = null;
  function openQr() {
    show('qr');
    const draw = () => qrImage($('#qr-image'), C.walletCode(wallet, wallet.credential, wallet.qr_key));
    let left = 30;
    draw();
    clearInterval(qrTimer);
    $('#qr-countdown').textContent = left;
    qrTimer = setInterval(() => {
      left -= 1;
      if (left <= 0) { left = 30; draw(); }
      $('#qr-countdown').textContent = left;
    }, 1000);
    $('#qr-refresh').onclick = () => { left = 30; draw(); $('#qr-countdown').textContent = left; };
  }

  // ---- scanning a relying party's code ----
  let stopScan = null;
  async function openScan(section, video, handler) {
    show(section);
    try {
      await WZCamera.start(video);
      stopScan = WZCamera.scan(video, async (text) => handler(text));
    } catch (_) { /* camera refused: upload and paste still work */ }
  }
  function leaveCamera() {
    if (stopScan) stopScan();
    stopScan = null;
    WZCamera.stop();
  }
  let session = null;
  async function useScanned(text) {
    text = text.trim();
    if (!/^WZ(S|I)1:/.test(text)) { status('#scan-status', t('scan.not_session'), 'bad'); return false; }
    try {
      session = await signed('/v1/wallet/sessions/scan', { payload: text });
      leaveCamera();
      openConsent();
      return true;
    } catch (e) { status('#scan-status', errorText(e), 'bad'); return false; }
  }
  // Same device (OpenID Connect): the sign-in page links here with its
  // handle; the provider's cookie for that sign-in is this browser's, so the
  // wallet reads the current code straight from the page's status.
  let signInHandle = null;
  async function openSignIn(handle) {
    if (!/^oa-[0-9a-f]{32}$/.test(handle) || !hasCredential()) return false;
    try {
      const response = await fetch(`/oidc/signin/${handle}/status`, { credentials: 'same-origin', cache: 'no-store' });
      const s = response.ok ? await response.json() : null;
      if (!s || !s.frame) { show('scan'); status('#scan-status', t('oidc.lost'), 'bad'); return true; }
      signInHandle = handle;
      show('scan');
      await useScanned(s.frame);
    } catch (e) { show('scan'); status('#scan-status', errorText(e), 'bad'); }
    return true;
  }
  async function uploadScan(file, statusSel, handler) {
    const text = file && (await WZCamera.decodeFile(file));
    if (!text) { status(statusSel, t('scan.no_code'), 'bad'); return; }
    await handler(text);
  }

  // ---- consent ----
  function openConsent() {
    show('consent');
    $('#consent-rp').textContent = session.rp_name;
    $('#consent-category').textContent = t('category.' + session.rp_category);
    $('#consent-purpose').textContent = session.purpose;
    $('#consent-mode').textContent = t('mode.' + session.mode);
    const rows = $('#consent-data');
    rows.replaceChildren();
    const wanted = new Set(['name', 'id_number', ...session.attributes]);
    for (const attribute of wanted) {
      const full = session.released.includes(attribute);
      let preview = '';
      if (wallet.holder && attribute === 'name') preview = full ? wallet.holder.name : maskName(wallet.holder.name);
      if (wallet.holder && attribute === 'id_number') preview = full ? wallet.holder.id_number : maskId(wallet.holder.id_number);
      rows.append(el('tr', {}, el('td', { text: t('attr.' + attribute) }),
        el('td', {}, el('span', { class: 'tag ' + (full ? 'full' : 'masked'), text: t(full ? 'consent.full' : 'consent.masked') })),
        el('td', { class: 'mono', text: preview })));
    }
    const needsFace = session.mode.startsWith('portrait');
    $('#consent-face').hidden = !needsFace;
    $('#consent-pin').hidden = session.mode !== 'portrait_credential_pin';
    $('#consent-password').value = '';
    status('#consent-status', '');
    // The face is captured when the citizen accepts: not before the camera
    // delivers real frames (a capture while it starts finds no face).
    $('#consent-accept').disabled = needsFace;
    if (needsFace) {
      // The face is shown live: a sequence answering a fresh challenge,
      // the digits read aloud while the camera films (as when applying).
      Promise.all([WZCamera.start($('#consent-video')), newConsentChallenge()])
        .then(() => { $('#consent-accept').disabled = false; })
        .catch((e) => status('#consent-status', t('camera.failed') + ' ' + errorText(e), 'bad'));
    }
  }
  let consentChallenge = null;
  async function newConsentChallenge() {
    consentChallenge = await api('POST', '/v1/liveness/challenges');
    $('#consent-digits').textContent = consentChallenge.digits;
    $('#consent-action').textContent = t('action.' + consentChallenge.action);
  }
  // Films `count` frames, 250 ms apart, while the microphone hears the
  // digits read aloud (16 when applying; 10, 2.5 s, at a consent, enough
  // for four digits and the action).
  async function liveSequence(video, progress, count) {
    const voice = await WZCamera.startVoice();
    if (voice) await new Promise((resolve) => setTimeout(resolve, 300));
    const { frames, times } = await WZCamera.burst(video, count, 250, (done) => { progress.value = done; }, voice && voice.at);
    const speech = voice ? { audio: await voice.stop(), frame_times_ms: times, language: WZ.lang === 'zh' ? 'zh' : 'en' } : undefined;
    return { frames, speech };
  }
  async function accept() {
    const button = $('#consent-accept');
    button.disabled = true;
    try {
      status('#consent-status', t('consent.proving'), 'wait');
      // A retry after a failed proof (say, the face was not found) must not
      // consent twice: the session is already `consented`. The consent (the
      // click itself) goes out while the camera films.
      const consenting = session.consented ? Promise.resolve()
        : signed(`/v1/wallet/sessions/${session.session_id}/consent`, {}).then(() => { session.consented = true; });
      let live;
      if (session.mode.startsWith('portrait')) {
        status('#consent-status', t('liveness.recording'), 'wait');
        const [film] = await Promise.all([liveSequence($('#consent-video'), $('#consent-progress'), 10), consenting]);
        live = { challenge_token: consentChallenge.token, ...film };
        status('#consent-status', t('consent.proving'), 'wait');
      } else {
        await consenting;
      }
      // The code is made after filming: it is valid for a short time only.
      const proof = { code: C.walletCode(wallet, wallet.credential, wallet.qr_key), live };
      if (session.mode === 'portrait_credential_pin') proof.password = $('#consent-password').value;
      const outcome = await signed(`/v1/wallet/sessions/${session.session_id}/complete`, proof);
      WZCamera.stop($('#consent-video'));
      showResult(outcome);
    } catch (e) {
      status('#consent-status', errorText(e), 'bad');
      // A challenge is answered once: a retry reads new digits.
      if (session.mode.startsWith('portrait')) await newConsentChallenge().catch(() => {});
    } finally { button.disabled = false; $('#consent-progress').value = 0; }
  }
  async function decline() {
    try {
      await signed(`/v1/wallet/sessions/${session.session_id}/decline`, {});
      WZCamera.stop($('#consent-video'));
      showResult({ result: 'consent_declined', attributes: {} });
    } catch (e) { status('#consent-status', errorText(e), 'bad'); }
  }
  function showResult(outcome) {
    // Opened from an OpenID Connect sign-in page on this device: hand the
    // browser back to the provider, which sends it on to the site.
    if (signInHandle) {
      status('#result-status', t('oidc.returning'), outcome.result === 'success' ? 'ok' : 'bad');
      setTimeout(() => location.assign(`/oidc/signin/${encodeURIComponent(signInHandle)}/finish`), 600);
    }
    show('result');
    const ok = outcome.result === 'success';
    status('#result-status', ok ? t('result.success', { rp: session.rp_name }) : `${t('result.refused')} ${t('code.' + outcome.result)} (${outcome.result})`, ok ? 'ok' : 'bad');
    $('#result-status').dataset.result = outcome.result;
    const fields = $('#result-fields');
    fields.replaceChildren();
    for (const [name, value] of Object.entries(outcome.attributes || {})) fields.append(el('dt', { text: t('attr.' + name) }), el('dd', { text: value }));
  }

  // ---- history, password, lost phone, terminal enrolment ----
  async function openHistory() {
    show('history');
    const rows = $('#history-rows');
    rows.replaceChildren(el('tr', {}, el('td', { colspan: '4', text: '…' })));
    try {
      const history = await signed('/v1/wallet/history', { credential: wallet.credential });
      rows.replaceChildren();
      if (!history.entries.length) rows.append(el('tr', {}, el('td', { colspan: '4', text: t('history.empty') })));
      for (const e of history.entries) {
        rows.append(el('tr', {}, el('td', { text: fmtTime(e.at_ms) }), el('td', { text: e.rp_name }),
          el('td', {}, `${e.purpose} · ${t('mode.' + e.mode)}`, el('br'), ...e.released.map((a) => el('span', { class: 'tag full', text: t('attr.' + a) }))),
          el('td', { text: e.result === 'success' ? t('history.ok') : e.result })));
      }
    } catch (e) { rows.replaceChildren(el('tr', {}, el('td', { colspan: '4', text: errorText(e) }))); }
  }
  async function checkPassword() {
    const password = $('#password-input').value;
    if (!/^\d{8}$/.test(password)) { status('#password-status', t('password.eight_digits'), 'bad'); return; }
    try {
      const r = await signed('/v1/wallet/password/check', { credential: wallet.credential, password });
      const ok = r.result === 'success';
      status('#password-status', ok ? t('password.right') : `${t('code.' + r.result)} ${r.remaining_attempts != null ? t('password.remaining', { n: r.remaining_attempts }) : ''}`, ok ? 'ok' : 'bad');
    } catch (e) { status('#password-status', errorText(e), 'bad'); }
  }
  let enrolment = null;
  async function useEnrolment(text) {
    text = text.trim();
    if (!text.startsWith('WZENROL1:')) { status('#enrol-status', t('enrol.not_terminal'), 'bad'); return false; }
    ensureKey();
    try {
      enrolment = await signed('/v1/wallet/enrolments', { qr_payload: text });
      leaveCamera();
      status('#enrol-status', t('enrol.bound', { terminal: enrolment.terminal_name }), 'wait');
      waitForEnrolment(enrolment.enrolment_id);
      return true;
    } catch (e) { status('#enrol-status', errorText(e), 'bad'); return false; }
  }
  async function waitForEnrolment(id) {
    for (let i = 0; i < 600; i++) {
      try {
        const issued = await signed('/v1/wallet/enrolments/credential', { enrolment_id: id });
        keepCredential(issued, null);
        status('#enrol-status', t('enrol.done', { level: issued.level }), 'ok');
        setTimeout(openCard, 800);
        return;
      } catch (e) {
        if (e.code !== 'enrolment_state') { status('#enrol-status', errorText(e), 'bad'); return; }
      }
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  }

  async function fillDemo() {
    const setup = await WZ.demoSetup();
    if (!setup) return;
    const select = $('#demo-person');
    select.append(el('option', { value: '', text: '—' }));
    for (const c of setup.citizens) select.append(el('option', { value: c.id_number, text: `${c.name} ${c.id_number}${c.portrait_source ? ' · ' + c.portrait_source : ''}` }));
    const office = JSON.parse(localStorage.getItem('wz.demo.self') || 'null');
    if (office) select.append(el('option', { value: office.id_number, text: `${office.name} ${office.id_number} · ${t('demo.you')}` }));
    select.onchange = () => {
      const all = [...setup.citizens, ...(office ? [office] : [])];
      const chosen = all.find((c) => c.id_number === select.value);
      if (chosen) { $('#apply-name').value = chosen.name; $('#apply-id').value = chosen.id_number; }
    };
    $('#demo-people').hidden = false;
  }

  document.addEventListener('DOMContentLoaded', () => {
    document.querySelectorAll('[data-back]').forEach((b) => b.addEventListener('click', () => { leaveCamera(); clearInterval(qrTimer); if (b.dataset.back) (b.dataset.back === 'card' ? openCard() : show(b.dataset.back)); else home(); }));
    $('#go-apply').onclick = () => show('apply');
    $('#go-enrol').onclick = () => openScan('enrol', $('#enrol-video'), useEnrolment);
    $('#go-upgrade').onclick = $('#go-enrol').onclick;
    $('#password-reset').onclick = $('#go-enrol').onclick;
    $('#apply-start').onclick = startApply;
    $('#apply-capture').onclick = captureApply;
    $('#go-qr').onclick = openQr;
    $('#go-scan').onclick = () => openScan('scan', $('#scan-video'), useScanned);
    $('#scan-file').onchange = (ev) => uploadScan(ev.target.files[0], '#scan-status', useScanned);
    $('#scan-submit').onclick = () => useScanned($('#scan-text').value);
    $('#enrol-submit').onclick = () => useEnrolment($('#enrol-text').value);
    $('#consent-accept').onclick = accept;
    $('#consent-decline').onclick = decline;
    $('#go-history').onclick = openHistory;
    $('#go-password').onclick = () => { show('password'); status('#password-status', ''); };
    $('#password-check').onclick = checkPassword;
    $('#go-lost').onclick = () => show('lost');
    $('#go-lost-new').onclick = () => show('lost');
    // This browser is the new phone: a new device key, then a fresh
    // application, which replaces the credential bound to the lost one.
    $('#lost-apply').onclick = () => { wallet = { ...C.newKey(), holder: wallet && wallet.holder }; save(); show('apply'); };
    fillDemo();
    const signIn = location.hash.match(/^#signin=(.+)$/);
    history.replaceState(null, '', location.pathname);
    if (signIn) openSignIn(decodeURIComponent(signIn[1])).then((opened) => { if (!opened) home(); });
    else home();
  });
})();
