// The OpenID Connect sign-in page: shows the rotating code of the sign-in
// session the provider opened (frames come from the server, which keeps
// the session secret), follows its progress, and when the wallet is done
// hands the browser back to the provider, which redirects it to the site.
'use strict';

(() => {
  const { $, $$, t, status, qrImage } = WZ;
  const handle = location.hash.slice(1);
  const base = `/oidc/signin/${encodeURIComponent(handle)}`;
  let finished = false;

  function steps(state) {
    const order = ['created', 'scanned', 'consented', 'completed'];
    const reached = order.indexOf(state);
    $('#steps').dataset.state = state;
    $$('#steps li').forEach((li) => li.classList.toggle('done', order.indexOf(li.dataset.step) <= reached));
  }

  async function poll() {
    if (finished) return;
    let s;
    try {
      const response = await fetch(`${base}/status`, { credentials: 'same-origin', cache: 'no-store' });
      if (!response.ok) { status('#oidc-status', t('oidc.lost'), 'bad'); $('#frame-box').hidden = true; return; }
      s = await response.json();
    } catch (_) { setTimeout(poll, 1000); return; }
    $('#oidc-asks').textContent = t('oidc.asks', { name: s.client_name, level: s.level, attributes: s.attributes.map((a) => t('attr.' + a)).join('、') || '—' });
    steps(s.state);
    $('#expires').textContent = Math.max(0, Math.round((s.expires_at_ms - Date.now()) / 1000));
    if (s.frame) { qrImage($('#frame'), s.frame); $('#frame-box').hidden = false; } else { $('#frame-box').hidden = true; }
    if (['completed', 'declined', 'expired', 'cancelled'].includes(s.state)) {
      finished = true;
      status('#oidc-status', t('oidc.returning'), s.state === 'completed' ? 'ok' : 'bad');
      location.assign(`${base}/finish`);
      return;
    }
    if (s.state !== 'created') status('#oidc-status', t('oidc.on_phone'), 'info');
    setTimeout(poll, 1000);
  }

  document.addEventListener('DOMContentLoaded', () => {
    if (!/^oa-[0-9a-f]{32}$/.test(handle)) { status('#oidc-status', t('oidc.lost'), 'bad'); $('#frame-box').hidden = true; return; }
    // On the phone itself: the wallet (same browser, same cookie) takes it from here.
    $('#same-device').href = `/wallet#signin=${encodeURIComponent(handle)}`;
    poll();
  });
})();
