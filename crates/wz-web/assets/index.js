// The landing page: on a demo server, names the demo citizen and the demo
// relying parties each step of the demo path needs.
'use strict';

(async () => {
  const setup = await WZ.demoSetup();
  if (!setup) return;
  const first = setup.citizens.find((c) => c.portrait_source) || setup.citizens[0];
  if (first) document.getElementById('demo-citizen').textContent = `${first.name} ${first.id_number}`;
  document.getElementById('demo-window').textContent = setup.window.client_id;
  document.getElementById('demo-hotel').textContent = setup.hotel.client_id;
})();
