// Starts the real `wz serve --demo` on a random port and Chromium (Debian's
// /usr/bin/chromium via playwright-core) with a fake camera made by ffmpeg
// from the dev face set and a fake microphone playing an espeak-ng reading.
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, existsSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';

export const ROOT = path.resolve(import.meta.dirname, '../..');
export const FACES = process.env.WZ_DEMO_FACES_DIR || path.resolve(ROOT, '../shared/faces/dev');
export const SHOTS = process.env.WZ_SCREENSHOTS || path.join(ROOT, 'target/browser-screenshots');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';

// A y4m clip of one photo of `person` (not the registry portrait, which is
// the folder's first file: 2.jpg or 2.png), letterboxed to 640x480;
// Chromium loops it.
export function fakeCamera(dir, person, photo = ['2.jpg', '2.png'].find((f) => existsSync(path.join(FACES, person, f)))) {
  const out = path.join(dir, `${person}.y4m`);
  execFileSync('ffmpeg', ['-loglevel', 'error', '-y', '-loop', '1', '-i', path.join(FACES, person, photo), '-t', '2', '-r', '10',
    '-vf', 'scale=640:480:force_original_aspect_ratio=decrease,pad=640:480:(ow-iw)/2:(oh-ih)/2,format=yuv420p', out]);
  return out;
}

// The fake microphone: a recording Chromium loops, copied into `dir` so a
// test can replace it (Chromium opens the file for each new capture).
// Default: espeak-ng reading four digits in Mandarin.
export function fakeMicrophone(dir, recording = 'cmn_4719.wav') {
  const out = path.join(dir, 'microphone.wav');
  copyFileSync(path.join(ROOT, 'crates/wz-speech/tests/audio', recording), out);
  return out;
}

export async function startServer() {
  const bin = process.env.WZ_BIN || path.join(ROOT, 'target/debug/wz');
  if (!existsSync(bin)) throw new Error(`${bin} not built: run cargo build -p wz-cli`);
  const dir = mkdtempSync(path.join(tmpdir(), 'wz-browser-'));
  const child = spawn(bin, ['serve', '--demo', '--listen', '127.0.0.1:0', '--data-dir', path.join(dir, 'data')], {
    cwd: ROOT,
    env: { ...process.env, WZ_DEMO_PEOPLE: '300', WZ_DEMO_FACES_DIR: FACES, WZ_DEMO_LIVENESS: 'presence', WZ_LOG__FORMAT: 'json', WZ_LOG__FILTER: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  let logs = '';
  child.stderr.on('data', (d) => { logs += d; });
  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('server did not start in 120 s:\n' + output + logs)), 120_000);
    child.stdout.on('data', (d) => {
      output += d;
      const m = output.match(/(http:\/\/127\.0\.0\.1:\d+)\/\s+landing page/);
      if (m && output.includes('Press Ctrl-C')) { clearTimeout(timer); resolve(m[1]); }
    });
    child.on('exit', (code) => { clearTimeout(timer); reject(new Error(`server exited (${code}):\n${output}${logs}`)); });
  });
  const adminToken = readFileSync(path.join(dir, 'data', 'keys', 'admin.token'), 'utf8').trim();
  // The demo website (`wz demo website`, an OpenID Connect client) started beside it.
  const website = output.match(/(http:\/\/127\.0\.0\.1:\d+)\/\s+demo website/)?.[1];
  // The online service hall (`wz hall serve`), likewise.
  const hall = output.match(/(http:\/\/127\.0\.0\.1:\d+)\/\s+online service hall/)?.[1];
  return { url, website, hall, dir, child, adminToken, logs: () => logs, stop: () => child.kill('SIGTERM') };
}

export async function startBrowser(camera, microphone) {
  mkdirSync(SHOTS, { recursive: true });
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync',
      '--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream', `--use-file-for-fake-video-capture=${camera}`,
      ...(microphone ? [`--use-file-for-fake-audio-capture=${microphone}`] : [])],
  });
}

// A phone-sized context (citizen) or a desk-sized one (staff).
export async function context(browser, url, kind) {
  const phone = kind === 'phone';
  const ctx = await browser.newContext({
    baseURL: url,
    viewport: phone ? { width: 390, height: 844 } : { width: 1280, height: 900 },
    deviceScaleFactor: phone ? 2 : 1,
    isMobile: phone,
    hasTouch: phone,
    locale: 'zh-CN',
    permissions: ['camera', 'microphone'],
  });
  ctx.setDefaultTimeout(20_000);
  return ctx;
}

export async function shot(page, name) {
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
}

// Collects console errors and failed page scripts so a broken page fails.
export function watch(page, errors) {
  page.on('pageerror', (e) => errors.push(`${page.url()}: ${e.message}`));
  page.on('console', (m) => { if (m.type() === 'error' && !/Failed to load resource/.test(m.text())) errors.push(`${page.url()}: ${m.text()}`); });
}
