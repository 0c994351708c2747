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
  // `count` frames `gapMs` apart; onProgress(done, count). `times` holds
  // each frame's capture time in ms on `clock` (a voice recorder's, so that
  // frames and audio line up), else from the first frame.
  async function burst(video, count, gapMs, onProgress, clock) {
    const began = performance.now();
    const now = clock || (() => Math.round(performance.now() - began));
    const frames = [];
    const times = [];
    for (let i = 0; i < count; i++) {
      times.push(now());
      frames.push(frame(video, 0.85));
      if (onProgress) onProgress(i + 1, count);
      await new Promise((resolve) => setTimeout(resolve, gapMs));
    }
    return { frames, times };
  }
  // Microphone recording for the spoken digits. `startVoice()` resolves to
  // a recorder once the microphone is open, or to null when there is none
  // or it is refused (the application then goes without audio and the
  // server decides whether that is enough). `recorder.at()` is the time
  // since the recording began, for the frames; `recorder.stop()` resolves
  // to the take as base64 WAV, 16 kHz mono 16-bit, which is what the
  // server accepts (it never resamples).
  async function startVoice() {
    let mic;
    try {
      mic = await navigator.mediaDevices.getUserMedia({ audio: { channelCount: 1, echoCancellation: false, noiseSuppression: false, autoGainControl: true } });
    } catch (e) { return null; }
    const Context = window.AudioContext || window.webkitAudioContext;
    const ctx = new Context();
    if (ctx.state === 'suspended') await ctx.resume();
    const source = ctx.createMediaStreamSource(mic);
    // ScriptProcessor is deprecated but everywhere; an AudioWorklet would
    // need its own module file for the same few lines.
    const tap = ctx.createScriptProcessor(4096, 1, 1);
    const mute = ctx.createGain();
    mute.gain.value = 0;
    const chunks = [];
    tap.onaudioprocess = (e) => chunks.push(new Float32Array(e.inputBuffer.getChannelData(0)));
    source.connect(tap);
    tap.connect(mute);
    mute.connect(ctx.destination);
    const began = performance.now();
    return {
      at: () => Math.round(performance.now() - began),
      async stop() {
        tap.disconnect();
        source.disconnect();
        mic.getTracks().forEach((track) => track.stop());
        const rate = ctx.sampleRate;
        const wall = performance.now() - began;
        await ctx.close();
        const captured = chunks.reduce((n, c) => n + c.length, 0);
        // The frames are stamped on the wall clock from `began`, but the
        // audio graph starts delivering a little later (longer on a busy
        // machine), so the take can be shorter than the time filmed. The
        // missing start is silence: pad it, so every frame time falls
        // inside the audio at the moment it was taken.
        const missing = Math.max(0, Math.round((wall / 1000) * rate) - captured);
        const pcm = new Float32Array(missing + captured);
        let at = missing;
        for (const c of chunks) { pcm.set(c, at); at += c.length; }
        return wavBase64(await resample(pcm, rate, 16000));
      },
    };
  }
  async function resample(pcm, from, to) {
    if (from === to || !pcm.length) return pcm;
    const offline = new OfflineAudioContext(1, Math.ceil(pcm.length * to / from), to);
    const buffer = offline.createBuffer(1, pcm.length, from);
    buffer.copyToChannel(pcm, 0);
    const node = offline.createBufferSource();
    node.buffer = buffer;
    node.connect(offline.destination);
    node.start();
    return (await offline.startRendering()).getChannelData(0);
  }
  // RIFF/WAVE, PCM 16-bit mono at 16 kHz, as base64.
  function wavBase64(samples) {
    const bytes = new Uint8Array(44 + samples.length * 2);
    const view = new DataView(bytes.buffer);
    const text = (offset, s) => { for (let i = 0; i < s.length; i++) bytes[offset + i] = s.charCodeAt(i); };
    text(0, 'RIFF'); view.setUint32(4, 36 + samples.length * 2, true); text(8, 'WAVE');
    text(12, 'fmt '); view.setUint32(16, 16, true); view.setUint16(20, 1, true); view.setUint16(22, 1, true);
    view.setUint32(24, 16000, true); view.setUint32(28, 32000, true); view.setUint16(32, 2, true); view.setUint16(34, 16, true);
    text(36, 'data'); view.setUint32(40, samples.length * 2, true);
    for (let i = 0; i < samples.length; i++) view.setInt16(44 + i * 2, Math.round(Math.max(-1, Math.min(1, samples[i])) * 32767), true);
    let binary = '';
    for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
    return btoa(binary);
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
  return { start, stop, frame, burst, startVoice, scan, decodeFile, fileBase64 };
})();
