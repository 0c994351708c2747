// Shared by every page: language, API calls with clear errors, small DOM
// helpers, the SSE reader and the check of signed results. Plain JS, no build.
'use strict';

const WZ = (() => {
  const $ = (selector, root = document) => root.querySelector(selector);
  const $$ = (selector, root = document) => Array.from(root.querySelectorAll(selector));

  // ---- language: Chinese first, English on request (remembered) ----
  let lang = localStorage.getItem('wz.lang') || 'zh';
  function t(key, vars) {
    const table = (window.WZ_I18N && window.WZ_I18N[lang]) || {};
    const code = key.startsWith('code.') && window.WZ_CODES && window.WZ_CODES[key.slice(5)];
    // Unknown keys fall back to their last part (a code or a state name).
    let text = table[key] || (code && code[lang === 'zh' ? 0 : 1]) || (window.WZ_I18N && window.WZ_I18N.zh[key]) || key.split('.').pop();
    for (const [name, value] of Object.entries(vars || {})) text = text.replaceAll(`{${name}}`, value);
    return text;
  }
  function translate(root = document) {
    document.documentElement.lang = lang === 'zh' ? 'zh-CN' : 'en';
    $$('[data-i18n]', root).forEach((el) => { el.textContent = t(el.dataset.i18n); });
    $$('[data-i18n-placeholder]', root).forEach((el) => { el.placeholder = t(el.dataset.i18nPlaceholder); });
    const button = $('#lang');
    if (button) button.textContent = lang === 'zh' ? 'English' : '中文';
    document.dispatchEvent(new CustomEvent('wz:lang'));
  }
  function setLang(next) { lang = next; localStorage.setItem('wz.lang', lang); translate(); }

  // ---- API ----
  class ApiError extends Error {
    constructor(status, body) {
      const message = body && (lang === 'zh' ? body.message_zh || body.message : body.message);
      super(message || `HTTP ${status}`);
      this.status = status;
      this.code = (body && body.code) || `http_${status}`;
    }
  }
  async function api(method, path, body, headers = {}) {
    const init = { method, headers: { ...headers } };
    if (body !== undefined) {
      init.body = typeof body === 'string' ? body : JSON.stringify(body);
      init.headers['content-type'] = 'application/json';
    }
    let response;
    try { response = await fetch(path, init); } catch (e) { throw new ApiError(0, { code: 'network', message: t('err.network'), message_zh: t('err.network') }); }
    const text = await response.text();
    let json = null;
    try { json = text ? JSON.parse(text) : null; } catch (_) { json = null; }
    if (!response.ok) throw new ApiError(response.status, json || { message: text });
    return json;
  }
  // A POST signed as `signer` with `key` (wallet or terminal; the x-wz-*
  // headers of docs/credential-format.md), over the exact body sent.
  function signedPost(signer, key, path, body) {
    const text = JSON.stringify(body);
    return api('POST', path, text, window.WZCrypto.requestHeaders(signer, key, 'POST', path, text));
  }
  function basic(id, secret) { return { authorization: 'Basic ' + btoa(`${id}:${secret}`) }; }

  // ---- display ----
  function show(id) {
    $$('main > section').forEach((s) => { s.hidden = s.id !== id; });
    const section = document.getElementById(id);
    if (section) section.scrollIntoView({ block: 'start' });
  }
  function status(el, text, kind = 'info') {
    const target = typeof el === 'string' ? $(el) : el;
    if (!target) return;
    target.textContent = text;
    target.className = `status ${kind}`;
    target.hidden = !text;
  }
  function errorText(error) {
    return error && error.code ? `${error.message} (${error.code})` : String(error && error.message || error);
  }
  function fmtTime(ms) {
    const d = new Date(ms);
    const pad = (n) => String(n).padStart(2, '0');
    return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
  }
  function fmtDate(ms) { return fmtTime(ms).slice(0, 10); }
  function el(tag, attrs = {}, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs)) {
      if (k === 'text') node.textContent = v;
      else if (k === 'class') node.className = v;
      else if (k.startsWith('on')) node.addEventListener(k.slice(2), v);
      else node.setAttribute(k, v);
    }
    for (const child of children) if (child != null) node.append(child);
    return node;
  }
  function qrImage(img, text) {
    img.src = '/qr.svg?text=' + encodeURIComponent(text);
    img.dataset.payload = text;
  }
  const maskName = (name) => (name.length <= 1 ? '*' : name.length === 2 ? name[0] + '*' : name[0] + '*'.repeat(name.length - 2) + name.slice(-1));
  const maskId = (id) => (id.length === 18 ? id.slice(0, 4) + '*'.repeat(10) + id.slice(14) : '****');

  // Reads a server-sent-event stream with custom headers (EventSource
  // cannot send the RP's Basic credentials). Calls onEvent(name, data).
  async function sse(path, headers, onEvent, signal) {
    const response = await fetch(path, { headers, signal });
    if (!response.ok) {
      let body = null;
      try { body = await response.json(); } catch (_) { /* not JSON */ }
      throw new ApiError(response.status, body);
    }
    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    let buffer = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += decoder.decode(value, { stream: true });
      let cut;
      while ((cut = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, cut);
        buffer = buffer.slice(cut + 2);
        let name = 'message';
        const data = [];
        for (const line of block.split('\n')) {
          if (line.startsWith('event:')) name = line.slice(6).trim();
          else if (line.startsWith('data:')) data.push(line.slice(5).trimStart());
        }
        if (data.length) onEvent(name, data.join('\n'));
      }
    }
  }

  // Checks a signed result offline, as docs/relying-parties.md describes:
  // Merkle path from SM3(0x00 || payload) to the root, then the SM2
  // signature over "wz-auth-result/1\0" || root with the published key.
  let keysCache = null;
  async function verifyResult(signed) {
    if (!signed || signed.alg !== 'SM2') return false;
    keysCache = keysCache || (await api('GET', '/v1/keys')).keys;
    const key = keysCache.find((k) => k.kid === signed.key_id);
    if (!key) return false;
    const C = window.WZCrypto;
    let node = C.sm3Bytes([0, ...C.utf8(signed.payload)]);
    let index = signed.index || 0;
    for (const sibling of signed.path || []) {
      const other = C.fromHex(sibling);
      node = C.sm3Bytes(index % 2 === 0 ? [1, ...node, ...other] : [1, ...other, ...node]);
      index = Math.floor(index / 2);
    }
    const message = [...C.utf8('wz-auth-result/1\0'), ...node];
    return C.verify(message, C.toHex(C.fromB64url(signed.signature)), key.sec1_hex);
  }

  async function demoSetup() {
    try { return await api('GET', '/v1/demo/setup'); } catch (_) { return null; }
  }

  // Signs a relying-party console in with its client id and secret, kept
  // for this tab only; the check is an authenticated read of an unknown
  // session. In demo mode the demo RP `demoParty` is filled in.
  async function rpSignIn(storageKey, demoParty, onReady) {
    const saved = JSON.parse(sessionStorage.getItem(storageKey) || 'null');
    $('#signin-go').onclick = async () => {
      const rp = { id: $('#rp-id').value.trim(), secret: $('#rp-secret').value.trim() };
      try {
        await api('GET', '/v1/sessions/sess-check', undefined, basic(rp.id, rp.secret)).catch((e) => { if (e.code !== 'session_not_found') throw e; });
        sessionStorage.setItem(storageKey, JSON.stringify(rp));
        onReady(rp);
      } catch (e) { status('#signin-status', errorText(e), 'bad'); }
    };
    if (saved) { onReady(saved); return; }
    const setup = await demoSetup();
    if (setup) {
      $('#rp-id').value = setup[demoParty].client_id;
      $('#rp-secret').value = setup[demoParty].client_secret;
      status('#signin-status', t('demo.prefilled'), 'info');
    }
  }

  document.addEventListener('DOMContentLoaded', () => {
    const button = $('#lang');
    if (button) button.addEventListener('click', () => setLang(lang === 'zh' ? 'en' : 'zh'));
    translate();
  });

  return { $, $$, t, translate, get lang() { return lang; }, api, signedPost, basic, show, status, errorText, fmtTime, fmtDate, el, qrImage, maskName, maskId, sse, verifyResult, demoSetup, rpSignIn, ApiError };
})();
