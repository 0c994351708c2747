// Demo registry office: a visitor enrols with their own name and a camera
// picture, receives a synthetic ID number and a card file, and can then try
// every flow with their own face. Demo servers only.
'use strict';

(() => {
  const { $, t, api, show, status, errorText } = WZ;

  async function enrol() {
    const name = $('#name').value.trim();
    if (!name) { status('#status', t('office.need_name'), 'bad'); return; }
    const video = $('#video');
    if (!video.videoWidth) { status('#status', t('office.need_camera'), 'bad'); return; }
    $('#enrol').disabled = true;
    status('#status', t('apply.checking'), 'wait');
    try {
      const person = await api('POST', '/v1/demo/people', { name, photo: WZCamera.frame(video) });
      WZCamera.stop(video);
      localStorage.setItem('wz.demo.self', JSON.stringify({ name: person.name, id_number: person.id_number }));
      $('#card-name').textContent = person.name;
      $('#card-id').textContent = person.id_number;
      const blob = new Blob([JSON.stringify(person.card, null, 2)], { type: 'application/json' });
      $('#download').href = URL.createObjectURL(blob);
      show('card');
    } catch (e) { status('#status', errorText(e), 'bad'); } finally { $('#enrol').disabled = false; }
  }

  document.addEventListener('DOMContentLoaded', async () => {
    $('#camera').onclick = () => WZCamera.start($('#video')).catch((e) => status('#status', t('camera.failed') + ' ' + errorText(e), 'bad'));
    $('#enrol').onclick = enrol;
    if (!(await WZ.demoSetup())) { $('#demo-only').hidden = false; $('#enrol').disabled = true; }
  });
})();
