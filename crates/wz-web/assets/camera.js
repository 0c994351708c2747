// Camera capture and QR reading (vendored jsQR) for the wallet, the desk,
// the kiosk and the registry office.
'use strict';

window.WZCamera = (() => {
  let stream = null;
  async function start(video) {
    if (!stream) stream = await navigator.mediaDevices.getUserMedia({ video: { width: 640, height: 480, facingMode: 'user' }, audio: false });
    video.srcObject = stream;
    video.muted = true;
    video.playsInline = true;
    await video.play();
    if (!video.videoWidth) await new Promise((resolve) => video.addEventListener('loadedmetadata', resolve, { once: true }));
    // Cameras deliver dark or blank frames while they start: let a few
    // frames pass before anyone captures.
    for (let i = 0; i < 5 && video.requestVideoFrameCallback; i++) await new Promise((resolve) => video.requestVideoFrameCallback(resolve));
    video.dataset.ready = 'true';
    return video;
  }
  function stop(video) {
    if (video) { video.srcObject = null; delete video.dataset.ready; }
    if (stream) stream.getTracks().forEach((track) => track.stop());
    stream = null;
  }
  function canvasOf(video) {
    const canvas = document.createElement('canvas');
    canvas.width = video.videoWidth || 640;
    canvas.height = video.videoHeight || 480;
    canvas.getContext('2d').drawImage(video, 0, 0, canvas.width, canvas.height);
    return canvas;
  }
  // One frame as base64 JPEG (no data: prefix).
  function frame(video, quality = 0.9) {
    return canvasOf(video).toDataURL('image/jpeg', quality).split(',')[1];
  }
  // `count` frames `gapMs` apart; onProgress(done, count).
  async function burst(video, count, gapMs, onProgress) {
    const frames = [];
    for (let i = 0; i < count; i++) {
      frames.push(frame(video, 0.85));
      if (onProgress) onProgress(i + 1, count);
      await new Promise((resolve) => setTimeout(resolve, gapMs));
    }
    return frames;
  }
  function decode(canvas) {
    const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height);
    const found = window.jsQR(data.data, data.width, data.height, { inversionAttempts: 'attemptBoth' });
    return found ? found.data : null;
  }
  // Reads QR codes from the video until onText returns true or stop() is called.
  function scan(video, onText) {
    let running = true;
    const tick = async () => {
      if (!running) return;
      if (video.videoWidth) {
        const text = decode(canvasOf(video));
        if (text && (await onText(text))) { running = false; return; }
      }
      setTimeout(tick, 250);
    };
    tick();
    return () => { running = false; };
  }
  async function decodeFile(file) {
    const bitmap = await createImageBitmap(file);
    const canvas = document.createElement('canvas');
    canvas.width = bitmap.width;
    canvas.height = bitmap.height;
    canvas.getContext('2d').drawImage(bitmap, 0, 0);
    return decode(canvas);
  }
  function fileBase64(file) {
    return new Promise((resolve, reject) => {
      const reader = new FileReader();
      reader.onload = () => resolve(String(reader.result).split(',')[1]);
      reader.onerror = () => reject(reader.error);
      reader.readAsDataURL(file);
    });
  }
  return { start, stop, frame, burst, scan, decodeFile, fileBase64 };
})();
