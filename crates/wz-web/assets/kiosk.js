// The trusted-terminal kiosk: shows the enrolment code to the citizen's
// wallet, reads the card (a card file stands in for the reader), takes the
// 8-digit password twice on its own keypad and a face picture, then asks
// the platform (signed with the terminal's key) to issue the credential.
'use strict';

(() => {
  const { $, t, api, show, status, errorText, el, qrImage } = WZ;
  const C = window.WZCrypto;
  let kiosk = JSON.parse(localStorage.getItem('wz.kiosk') || 'null');
  if (!kiosk) { kiosk = C.newKey(); localStorage.setItem('wz.kiosk', JSON.stringify(kiosk)); }
  const save = () => localStorage.setItem('wz.kiosk', JSON.stringify(kiosk));
  let flow = null;

  const signed = (path, body) => WZ.signedPost('terminal:' + kiosk.id, kiosk, path, body);

  async function begin() {
    try {
      const opened = await signed('/v1/terminal/enrolments', {});
      flow = { id: opened.enrolment_id, card: null, pins: [] };
      qrImage($('#enrol-qr'), opened.qr_payload);
      show('step-qr');
    } catch (e) { status('#start-status', errorText(e), 'bad'); }
  }

  async function readCard(file) {
    try {
      const card = JSON.parse(await file.text());
      if (!card.chip || !card.chip_secret_key) throw new Error(t('kiosk.not_card'));
      flow.card = card;
      status('#card-status', t('kiosk.card_read'), 'ok');
      setTimeout(() => { show('step-pin'); drawPin(); }, 400);
    } catch (e) { status('#card-status', t('kiosk.not_card'), 'bad'); }
  }

  // On-screen keypad: digits in a fixed layout, dots instead of digits.
  let entry = '';
  function drawPin() {
    $('#pin-dots').textContent = '●'.repeat(entry.length) + '○'.repeat(8 - entry.length);
    $('#pin-prompt').textContent = t(flow.pins.length ? 'kiosk.pin_again' : 'kiosk.pin_first');
  }
  function press(key) {
    if (key === '⌫') entry = entry.slice(0, -1);
    else if (key === '✓') {
      if (entry.length !== 8) { status('#pin-status', t('password.eight_digits'), 'bad'); return; }
      flow.pins.push(entry);
      entry = '';
      if (flow.pins.length === 2) {
        if (flow.pins[0] !== flow.pins[1]) { flow.pins = []; status('#pin-status', t('kiosk.pin_mismatch'), 'bad'); drawPin(); return; }
        status('#pin-status', '');
        show('step-face');
        WZCamera.start($('#face-video')).catch((e) => status('#face-status', t('camera.failed') + ' ' + errorText(e), 'bad'));
        return;
      }
      status('#pin-status', '');
    } else if (entry.length < 8) entry += key;
    drawPin();
  }

  // Ends the enrolment on the platform, so the waiting wallet is told at
  // once (enrolment_cancelled) instead of waiting for the expiry.
  async function end(reason) {
    const id = flow && flow.id;
    flow = null;
    WZCamera.stop($('#face-video'));
    show('start');
    if (!id) return;
    try {
      await signed(`/v1/terminal/enrolments/${id}/cancel`, {});
      status('#start-status', (reason ? reason + ' · ' : '') + t('kiosk.ended'), reason ? 'bad' : 'ok');
    } catch (e) { status('#start-status', errorText(e), 'bad'); }
  }

  // Refusals no retry at this terminal can mend: the card itself.
  const FINAL = /^(card_|identity_not_found)/;

  async function submit() {
    const face = WZCamera.frame($('#face-video'));
    $('#face-go').disabled = true;
    try {
      for (let tries = 0; tries < 300; tries++) {
        const challenge = await api('POST', '/v1/cards/challenge');
        const body = { card: C.presentCard(flow.card, challenge), password: flow.pins[0], password_confirmation: flow.pins[1], face };
        try {
          const issued = await signed(`/v1/terminal/enrolments/${flow.id}/complete`, body);
          WZCamera.stop($('#face-video'));
          status('#done-status', t('kiosk.issued', { level: issued.level, serial: issued.serial.slice(0, 16) }), 'ok');
          show('done');
          flow = null;
          return;
        } catch (e) {
          if (e.code !== 'enrolment_state') throw e;
          status('#face-status', t('kiosk.waiting_wallet'), 'wait');
          await new Promise((resolve) => setTimeout(resolve, 1000));
        }
      }
    } catch (e) {
      // A face that did not match may be tried again; a refused card may not.
      if (FINAL.test(e.code || '')) { await end(errorText(e)); return; }
      status('#face-status', errorText(e), 'bad');
    } finally { $('#face-go').disabled = false; }
  }

  async function registerDemo() {
    try {
      const row = await api('POST', '/v1/demo/terminals', { name: t('kiosk.demo_name'), public_key: kiosk.pub });
      kiosk.id = row.id;
      save();
      show('start');
    } catch (e) { status('#setup-status', errorText(e), 'bad'); }
  }

  document.addEventListener('DOMContentLoaded', async () => {
    $('#kiosk-key').textContent = t('kiosk.public_key') + ' ' + kiosk.pub;
    const pad = $('#keypad');
    for (const key of ['1', '2', '3', '4', '5', '6', '7', '8', '9', '⌫', '0', '✓']) pad.append(el('button', { type: 'button', 'data-key': key, text: key, onclick: () => press(key) }));
    $('#begin').onclick = begin;
    $('#to-card').onclick = () => show('step-card');
    $('#card-file').onchange = (ev) => ev.target.files[0] && readCard(ev.target.files[0]);
    $('#face-go').onclick = submit;
    $('#end-qr').onclick = () => end();
    $('#end-face').onclick = () => end();
    $('#again').onclick = () => show('start');
    $('#register-demo').onclick = registerDemo;
    $('#save-id').onclick = () => { kiosk.id = $('#terminal-id').value.trim(); save(); show('start'); };
    if (kiosk.id) { show('start'); return; }
    if (await WZ.demoSetup()) $('#register-demo').hidden = false;
  });
})();
