// The service-window console of a relying party: opens a session, shows
// the rotating code (drawn from the session secret, which stays here),
// follows the state over server-sent events and checks the signed result.
// A real RP keeps its client secret on its own server; this demo console
// holds it in the tab (sessionStorage) instead.
'use strict';

(() => {
  const { $, $$, t, api, basic, show, status, errorText, el, qrImage } = WZ;
  const C = window.WZCrypto;
  let rp = null;
  let live = null;

  function frameText(id, secretHex) {
    const step = Math.floor(Date.now() / 1000);
    const mac = C.hmacSm3(secretHex, [...C.utf8('wz-session-frame/1\0'), ...C.utf8(`${id}:${step}`)]).slice(0, 16);
    return `WZS1:${id}:${step}:${C.toHex(mac)}`;
  }

  function mark(state) {
    const order = ['created', 'scanned', 'consented', 'completed'];
    const reached = order.indexOf(state);
    $$('#steps li').forEach((li, i) => {
      li.className = reached >= i ? 'done' : '';
    });
    if (['declined', 'expired', 'cancelled'].includes(state)) {
      const li = $$('#steps li').find((x) => !x.classList.contains('done'));
      if (li) { li.className = 'failed'; li.textContent = t('state.' + state); }
    }
    $('#steps').dataset.state = state;
  }

  async function startSession() {
    const purpose = $('#purpose').value.trim() || t('window.purpose_example');
    const attributes = $$('input[name=attr]:checked').map((c) => c.value);
    try {
      const created = await api('POST', '/v1/sessions', { mode: $('#mode').value, purpose, attributes, expires_in_seconds: 120 }, basic(rp.id, rp.secret));
      stopLive();
      show('live');
      $$('#steps li').forEach((li) => { li.textContent = t(li.dataset.i18n); });
      $('#outcome').hidden = true;
      status('#live-status', '');
      const abort = new AbortController();
      live = { id: created.session_id, abort, timer: null };
      const draw = () => {
        qrImage($('#frame'), frameText(created.session_id, created.secret));
        $('#expires').textContent = Math.max(0, Math.round((created.expires_at_ms - Date.now()) / 1000));
      };
      draw();
      live.timer = setInterval(draw, 1000);
      mark('created');
      follow(created.session_id, abort.signal);
    } catch (e) { status('#start-status', errorText(e), 'bad'); }
  }

  function follow(id, signal) {
    WZ.sse(`/v1/sessions/${id}/events`, basic(rp.id, rp.secret), (name, data) => {
      if (name !== 'state') return;
      const s = JSON.parse(data);
      mark(s.state);
      $('#cancel').hidden = ['completed', 'declined', 'expired', 'cancelled'].includes(s.state);
      if (s.state !== 'created' && live && live.timer) { clearInterval(live.timer); live.timer = null; $('#frame-box').hidden = true; }
      if (s.result) showOutcome(s.result);
      if (s.state === 'declined') status('#live-status', t('window.declined'), 'bad');
      if (s.state === 'expired') status('#live-status', t('state.expired'), 'bad');
    }, signal).catch((e) => { if (e.name !== 'AbortError') status('#live-status', errorText(e), 'bad'); });
  }

  async function showOutcome(result) {
    $('#outcome').hidden = false;
    const fields = $('#outcome-fields');
    fields.replaceChildren();
    const ok = result.result === 'success';
    fields.append(el('dt', { text: t('window.result') }), el('dd', { text: ok ? t('history.ok') : `${t('code.' + result.result)} (${result.result})` }));
    if (result.level) fields.append(el('dt', { text: t('field.level') }), el('dd', { text: result.level }));
    if (result.subject) fields.append(el('dt', { text: t('field.subject') }), el('dd', { class: 'mono', text: result.subject }));
    for (const [name, value] of Object.entries(result.attributes || {})) fields.append(el('dt', { text: t('attr.' + name) }), el('dd', { text: value }));
    const verdict = $('#outcome-verified');
    verdict.textContent = '…';
    const verified = await WZ.verifyResult(result.signed).catch(() => false);
    verdict.textContent = verified ? `✔ ${t('window.signature_verified')}` : `✘ ${t('window.signature_bad')}`;
    verdict.className = verified ? 'verified' : 'unverified';
    verdict.dataset.verified = String(verified);
    $('#outcome').dataset.result = result.result;
  }

  function stopLive() {
    if (!live) return;
    live.abort.abort();
    clearInterval(live.timer);
    live = null;
    $('#frame-box').hidden = false;
  }

  async function cancel() {
    if (!live) return;
    try { await api('POST', `/v1/sessions/${live.id}/cancel`, {}, basic(rp.id, rp.secret)); } catch (e) { status('#live-status', errorText(e), 'bad'); }
  }

  // ---- multi-party ----
  let multiTimer = null;
  async function startTransaction() {
    const participants = $('#participants').value.split(/[,，、]/).map((s) => s.trim()).filter(Boolean);
    if (!participants.length) { status('#start-status', t('window.participants_needed'), 'bad'); return; }
    const purpose = $('#purpose').value.trim() || t('window.purpose_example');
    try {
      const created = await api('POST', '/v1/transactions', { mode: $('#mode').value, purpose, attributes: $$('input[name=attr]:checked').map((c) => c.value), expires_in_seconds: 3600, participants }, basic(rp.id, rp.secret));
      show('multi');
      const parts = $('#multi-parts');
      parts.replaceChildren();
      for (const p of created.participants) {
        const img = el('img', { class: 'qr', alt: p.label });
        qrImage(img, p.invitation);
        parts.append(el('div', { 'data-session': p.session_id }, el('h3', { text: p.label }), img, el('p', { class: 'status', 'data-role': 'state', text: t('state.created') })));
      }
      clearInterval(multiTimer);
      const poll = async () => {
        try {
          const s = await api('GET', `/v1/transactions/${created.transaction_id}`, undefined, basic(rp.id, rp.secret));
          status('#multi-state', t('window.overall') + ': ' + t('tx.' + s.state), s.state === 'completed' ? 'ok' : s.state === 'failed' ? 'bad' : 'wait');
          for (const p of s.participants) {
            const box = parts.querySelector(`[data-session="${p.session_id}"] [data-role=state]`);
            if (box) box.textContent = t('state.' + p.state) + (p.result ? ` · ${p.result.result}` : '');
          }
          if (s.state !== 'pending') clearInterval(multiTimer);
        } catch (e) { status('#multi-state', errorText(e), 'bad'); }
      };
      poll();
      multiTimer = setInterval(poll, 1000);
    } catch (e) { status('#start-status', errorText(e), 'bad'); }
  }

  document.addEventListener('DOMContentLoaded', () => {
    $('#session-go').onclick = startSession;
    $('#transaction-go').onclick = startTransaction;
    $('#cancel').onclick = cancel;
    $('#again').onclick = () => { stopLive(); show('start'); };
    $('#multi-back').onclick = () => { clearInterval(multiTimer); show('start'); };
    WZ.rpSignIn('wz.rp.window', 'window', (signedIn) => { rp = signedIn; show('start'); });
  });
})();
