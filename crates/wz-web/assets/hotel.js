// The hotel desk: reads the guest's wallet code (camera, picture or pasted
// text), optionally with a live photo from the desk camera, and shows the
// fields a licensed hotel may record, from the signed result.
'use strict';

(() => {
  const { $, t, api, basic, show, status, errorText, el } = WZ;
  const HOTEL_FIELDS = ['name', 'id_number', 'sex', 'ethnicity', 'address'];
  let rp = null;
  let stopScan = null;

  function accept(text) {
    text = text.trim();
    if (!text.startsWith('WZQR1:')) { status('#desk-status', t('hotel.not_wallet_code'), 'bad'); return false; }
    $('#code-text').value = text;
    status('#desk-status', t('hotel.code_read'), 'ok');
    if (stopScan) stopScan();
    return true;
  }

  async function verify() {
    const code = $('#code-text').value.trim();
    if (!code) { status('#desk-status', t('hotel.need_code'), 'bad'); return; }
    const withPhoto = $('#with-photo').checked;
    const request = { mode: withPhoto ? 'portrait_credential' : 'qr_verify', code, purpose: t('hotel.purpose'), attributes: HOTEL_FIELDS };
    if (withPhoto) request.portrait = WZCamera.frame($('#photo-video'));
    $('#verify').disabled = true;
    try {
      const result = await api('POST', '/v1/authentications', request, basic(rp.id, rp.secret));
      showGuest(result);
      $('#code-text').value = '';
    } catch (e) { status('#desk-status', errorText(e), 'bad'); } finally { $('#verify').disabled = false; }
  }

  async function showGuest(result) {
    show('guest');
    const fields = $('#guest-fields');
    fields.replaceChildren();
    const ok = result.result === 'success';
    fields.append(el('dt', { text: t('window.result') }), el('dd', { text: ok ? t('history.ok') : `${t('code.' + result.result)} (${result.result})` }));
    if (ok) {
      fields.append(el('dt', { text: t('field.level') }), el('dd', { text: result.level }));
      for (const name of HOTEL_FIELDS) {
        const value = result.attributes[name] || result.attributes[name + '_masked'];
        if (value) fields.append(el('dt', { text: t('attr.' + name) }), el('dd', { 'data-field': name, text: value }));
      }
    }
    $('#guest').dataset.result = result.result;
    const verdict = $('#guest-verified');
    const verified = await WZ.verifyResult(result.signed).catch(() => false);
    verdict.textContent = verified ? `✔ ${t('window.signature_verified')}` : `✘ ${t('window.signature_bad')}`;
    verdict.className = verified ? 'verified' : 'unverified';
    verdict.dataset.verified = String(verified);
  }

  document.addEventListener('DOMContentLoaded', () => {
    $('#verify').onclick = verify;
    $('#next-guest').onclick = () => { show('desk'); status('#desk-status', ''); };
    $('#camera-go').onclick = async () => {
      try { await WZCamera.start($('#scan-video')); stopScan = WZCamera.scan($('#scan-video'), async (text) => accept(text)); } catch (e) { status('#desk-status', t('camera.failed') + ' ' + errorText(e), 'bad'); }
    };
    $('#code-file').onchange = async (ev) => {
      const text = ev.target.files[0] && (await WZCamera.decodeFile(ev.target.files[0]));
      if (!text) status('#desk-status', t('scan.no_code'), 'bad'); else accept(text);
    };
    $('#with-photo').onchange = async (ev) => {
      $('#photo-video').hidden = !ev.target.checked;
      if (ev.target.checked) await WZCamera.start($('#photo-video')).catch((e) => status('#desk-status', t('camera.failed') + ' ' + errorText(e), 'bad'));
    };
    WZ.rpSignIn('wz.rp.hotel', 'hotel', (signedIn) => { rp = signedIn; show('desk'); });
  });
})();
