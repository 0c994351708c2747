// The operator's console: relying parties, terminals, card status, the
// audit chain and live metrics (from /metrics, Prometheus text). The
// operator token stays in this tab (sessionStorage).
'use strict';

(() => {
  const { $, $$, t, api, status, errorText, el } = WZ;
  const MODES = ['id_name', 'id_name_validity', 'portrait_id_name', 'portrait_id_name_validity', 'credential', 'portrait_credential', 'portrait_credential_pin', 'card_portrait_credential', 'qr_verify'];
  const GRANTS = ['name', 'id_number', 'birth_date', 'sex', 'ethnicity', 'address', 'validity'];
  let token = sessionStorage.getItem('wz.admin') || '';
  const auth = () => ({ authorization: 'Bearer ' + token });

  async function signin() {
    token = $('#token').value.trim();
    try {
      await api('GET', '/v1/admin/audit/verify', undefined, auth());
      sessionStorage.setItem('wz.admin', token);
      open();
    } catch (e) { status('#signin-status', errorText(e), 'bad'); }
  }

  function open() {
    $('#signin').hidden = true;
    $('#console').hidden = false;
    listRps();
    startMetrics();
  }

  async function listRps() {
    const rows = $('#rp-rows');
    try {
      const list = await api('GET', '/v1/relying-parties');
      rows.replaceChildren();
      for (const rp of list.relying_parties) {
        const toggle = el('button', { class: 'plain', type: 'button', text: t(rp.active ? 'admin.suspend' : 'admin.reinstate'), onclick: () => setState(rp.id, !rp.active) });
        const rotate = el('button', { class: 'plain', type: 'button', text: t('admin.rotate'), onclick: () => rotateSecret(rp.id) });
        const edit = el('button', { class: 'plain', type: 'button', text: t('admin.edit'), onclick: () => startEdit(rp) });
        rows.append(el('tr', { 'data-rp': rp.id }, el('td', {}, rp.name, el('br'), el('span', { class: 'mono', text: rp.id })), el('td', { text: t('category.' + rp.category) }),
          el('td', {}, ...rp.modes.map((m) => el('span', { class: 'tag', text: m }))), el('td', {}, ...rp.grants.map((g) => el('span', { class: 'tag full', text: t('attr.' + g) }))),
          el('td', { text: rp.active ? t('admin.active') : t('admin.suspended') }), el('td', {}, edit, toggle, rotate)));
      }
    } catch (e) { rows.replaceChildren(el('tr', {}, el('td', { colspan: '6', text: errorText(e) }))); }
  }

  function formBody() {
    const body = {
      name: $('#rp-name').value.trim(),
      category: $('#rp-category').value,
      modes: $$('#rp-modes input:checked').map((c) => c.value),
      grants: $$('#rp-grants input:checked').map((c) => c.value),
    };
    const key = $('#rp-key').value.trim();
    if (key) body.public_key = key;
    const webhook = $('#rp-webhook').value.trim();
    if (webhook) body.webhook_url = webhook;
    // OpenID Connect: redirect URIs make the RP a client (docs/oidc.md).
    const redirects = $('#rp-redirects').value.split(/\s+/).filter(Boolean);
    if (redirects.length) {
      body.oidc = { redirect_uris: redirects, id_token_signed_response_alg: $('#rp-id-token-alg').value };
      const jwks = $('#rp-jwks').value.trim();
      if (jwks) {
        try { body.oidc.jwks = JSON.parse(jwks); } catch (_) { throw new Error(t('admin.jwks_not_json')); }
      }
    }
    return body;
  }

  // Editing sends the whole registration (PUT): the form is filled from
  // the public registry, which shows whether a webhook exists but not its
  // URL, so an RP with one must have it typed again rather than lose it.
  let editing = null;
  function startEdit(rp) {
    editing = rp;
    $('#rp-form-title').textContent = t('admin.editing', { id: rp.id });
    $('#rp-name').value = rp.name;
    $('#rp-category').value = rp.category;
    $('#rp-key').value = rp.public_key || '';
    $('#rp-webhook').value = '';
    $('#rp-redirects').value = (rp.oidc?.redirect_uris || []).join('\n');
    $('#rp-jwks').value = rp.oidc?.jwks ? JSON.stringify(rp.oidc.jwks) : '';
    $('#rp-id-token-alg').value = rp.oidc?.id_token_signed_response_alg || 'ES256';
    $$('#rp-modes input').forEach((c) => { c.checked = rp.modes.includes(c.value); });
    $$('#rp-grants input').forEach((c) => { c.checked = rp.grants.includes(c.value); });
    $('#rp-create').hidden = true;
    $('#rp-save').hidden = false;
    $('#rp-new').hidden = false;
    status('#rp-status', rp.webhook ? t('admin.webhook_again') : '', 'wait');
    $('#rp-name').scrollIntoView({ block: 'center' });
  }
  function stopEdit() {
    editing = null;
    $('#rp-form-title').textContent = t('admin.new_rp');
    $('#rp-create').hidden = false;
    $('#rp-save').hidden = true;
    $('#rp-new').hidden = true;
  }
  async function saveRp() {
    let body;
    try { body = formBody(); } catch (e) { status('#rp-status', e.message, 'bad'); return; }
    if (editing.webhook && !body.webhook_url) { status('#rp-status', t('admin.webhook_again'), 'bad'); return; }
    try {
      await api('PUT', `/v1/admin/relying-parties/${editing.id}`, body, auth());
      status('#rp-status', t('admin.saved', { id: editing.id }), 'ok');
      stopEdit();
      listRps();
    } catch (e) { status('#rp-status', errorText(e), 'bad'); }
  }

  async function createRp() {
    let body;
    try { body = formBody(); } catch (e) { status('#rp-status', e.message, 'bad'); return; }
    try {
      const created = await api('POST', '/v1/admin/relying-parties', body, auth());
      status('#rp-status', t('admin.created', { id: created.relying_party.id }), 'ok');
      showSecret(created);
      listRps();
    } catch (e) { status('#rp-status', errorText(e), 'bad'); }
  }
  function showSecret(created) {
    const box = $('#rp-secret');
    box.hidden = false;
    box.textContent = `${t('admin.secret_once')} ${created.relying_party.id} : ${created.client_secret}`;
  }
  async function setState(id, active) {
    try { await api('POST', `/v1/admin/relying-parties/${id}/state`, { active }, auth()); listRps(); } catch (e) { status('#rp-status', errorText(e), 'bad'); }
  }
  async function rotateSecret(id) {
    try { showSecret(await api('POST', `/v1/admin/relying-parties/${id}/secret`, {}, auth())); } catch (e) { status('#rp-status', errorText(e), 'bad'); }
  }

  async function registerTerminal() {
    try {
      const row = await api('POST', '/v1/admin/terminals', { name: $('#term-name').value.trim(), public_key: $('#term-key').value.trim() }, auth());
      status('#term-status', t('admin.terminal_registered', { id: row.id }), 'ok');
    } catch (e) { status('#term-status', errorText(e), 'bad'); }
  }

  async function changeStatus() {
    try {
      const r = await api('POST', '/v1/admin/identities/status', { id_number: $('#id-number').value.trim().toUpperCase(), status: $('#id-status').value, reason: $('#id-reason').value.trim() }, auth());
      status('#id-result', t('admin.status_changed', { status: t('status.' + r.status) }), 'ok');
    } catch (e) { status('#id-result', errorText(e), 'bad'); }
  }

  async function verifyAudit() {
    try {
      const r = await api('GET', '/v1/admin/audit/verify', undefined, auth());
      status('#audit-result', r.intact ? t('admin.audit_ok', { n: r.entries_checked }) : t('admin.audit_broken', { n: r.entries_checked }), r.intact ? 'ok' : 'bad');
      $('#audit-result').dataset.intact = String(r.intact);
    } catch (e) { status('#audit-result', errorText(e), 'bad'); }
  }

  // ---- metrics: wz_authentications{channel,result} counters ----
  const history = [];
  let last = null;
  function parseOutcomes(text) {
    const byResult = {};
    let total = 0;
    for (const line of text.split('\n')) {
      const m = line.match(/^wz_authentications_total\{([^}]*)\}\s+([0-9.e+]+)/);
      if (!m) continue;
      const result = (m[1].match(/result="([^"]*)"/) || [])[1] || '?';
      const value = Number(m[2]);
      byResult[result] = (byResult[result] || 0) + value;
      total += value;
    }
    return { byResult, total };
  }
  async function sampleMetrics() {
    try {
      const response = await fetch('/metrics');
      const now = Date.now();
      const { byResult, total } = parseOutcomes(await response.text());
      const rate = last ? Math.max(0, (total - last.total) / ((now - last.at) / 1000)) : 0;
      last = { total, at: now };
      history.push(rate);
      if (history.length > 60) history.shift();
      $('#rate').textContent = rate.toFixed(1);
      $('#total').textContent = String(total);
      const failures = $('#failures');
      failures.replaceChildren();
      for (const [result, count] of Object.entries(byResult).sort((a, b) => b[1] - a[1])) {
        if (result === 'success') continue;
        failures.append(el('tr', {}, el('td', { text: `${t('code.' + result)} (${result})` }), el('td', { text: String(count) })));
      }
      if (!failures.children.length) failures.append(el('tr', {}, el('td', { text: t('admin.no_failures') })));
      draw();
    } catch (_) { /* next sample */ }
  }
  function draw() {
    const canvas = $('#chart');
    const g = canvas.getContext('2d');
    const w = canvas.width, h = canvas.height;
    g.clearRect(0, 0, w, h);
    const top = Math.max(1, ...history) * 1.2;
    g.strokeStyle = '#d9e0e7';
    g.fillStyle = '#5b6b7c';
    g.font = '12px sans-serif';
    for (let i = 0; i <= 4; i++) {
      const y = h - 20 - ((h - 30) * i) / 4;
      g.beginPath(); g.moveTo(40, y); g.lineTo(w - 5, y); g.stroke();
      g.fillText((top * i / 4).toFixed(1), 2, y + 4);
    }
    g.fillText(t('admin.chart_axis'), w - 200, h - 4);
    g.strokeStyle = '#c8102e';
    g.lineWidth = 2;
    g.beginPath();
    history.forEach((v, i) => {
      const x = 40 + ((w - 45) * i) / 59;
      const y = h - 20 - ((h - 30) * v) / top;
      if (i === 0) g.moveTo(x, y); else g.lineTo(x, y);
    });
    g.stroke();
  }
  function startMetrics() { sampleMetrics(); setInterval(sampleMetrics, 2000); }

  document.addEventListener('DOMContentLoaded', () => {
    for (const m of MODES) $('#rp-modes').append(el('label', {}, el('input', { type: 'checkbox', value: m }), m));
    for (const g of GRANTS) $('#rp-grants').append(el('label', {}, el('input', { type: 'checkbox', value: g }), el('span', { 'data-i18n': 'attr.' + g })));
    WZ.translate($('#rp-grants'));
    $('#signin-go').onclick = signin;
    $('#rp-create').onclick = createRp;
    $('#rp-save').onclick = saveRp;
    $('#rp-new').onclick = stopEdit;
    $('#term-register').onclick = registerTerminal;
    $('#id-change').onclick = changeStatus;
    $('#audit-verify').onclick = verifyAudit;
    document.addEventListener('wz:lang', () => { if (!$('#console').hidden) listRps(); });
    if (token) open();
  });
})();
