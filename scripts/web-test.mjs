// Drives the browser lab in headless Chromium through the DevTools protocol
// (over --remote-debugging-pipe: no npm packages, no open port) and checks
// it, for scripts/web-test.sh:
//
//   node scripts/web-test.mjs CHROMIUM URL_BASE EXPECTED_JSON
//
// EXPECTED_JSON: {"scenario": "gossip/basic", "seed": 7,
//                 "fingerprint": "0x...", "screenshot": "out.png"}
//
// 1. Opens URL_BASE#scenario=S&seed=N&run=end, waits for the page's status
//    (#lab-status) to show the run ended, and checks the scenario, seed and
//    fingerprint against the desktop CLI's; reports the time to the first
//    frame.
// 2. Takes a screenshot and checks the cluster view (its rectangle is in
//    the status) is drawn: many distinct colours, not one flat fill. Then
//    changes the address and checks the lab follows it, and that a link to
//    a scenario the page lacks is reported.
// 3. Opens URL_BASE#scenario=S&seed=N&event=E (E: EXPECTED.branch_event),
//    presses H (heal: a fault injected after event E) and Ctrl+S, and keeps
//    the branch the page downloads in EXPECTED.download_dir, for
//    `faultline replay` to check natively.
// 4. Opens the page with WebGL and WebGPU turned off and checks a readable
//    message replaces the lab.
// Exits non-zero with a reason on the first failed check.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inflateSync } from 'node:zlib';

const [chromium, base, expectedJson] = process.argv.slice(2);
const expected = JSON.parse(expectedJson);
const TIMEOUT_MS = Number(process.env.WEB_TEST_TIMEOUT_MS || 120000);

function fail(message) {
  console.error(`web test: FAIL: ${message}`);
  process.exit(1);
}

/** A headless Chromium with a DevTools session over its pipe. */
async function launch(extraArgs) {
  const profile = mkdtempSync(join(tmpdir(), 'faultline-web-test-'));
  const args = [
    '--headless', '--no-sandbox', '--disable-gpu-sandbox', '--no-first-run',
    '--no-default-browser-check', '--disable-extensions', '--mute-audio',
    // WebGL on the CPU (SwiftShader): CI machines have no GPU.
    '--enable-unsafe-swiftshader', '--use-angle=swiftshader',
    '--window-size=1400,900', `--user-data-dir=${profile}`,
    '--remote-debugging-pipe', ...extraArgs, 'about:blank',
  ];
  const child = spawn(chromium, args, { stdio: ['ignore', 'ignore', 'pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => { stderr += d; });
  const toBrowser = child.stdio[3];
  const fromBrowser = child.stdio[4];
  let nextId = 1;
  const pending = new Map();
  const listeners = [];
  let buffer = Buffer.alloc(0);
  fromBrowser.on('data', (chunk) => {
    buffer = Buffer.concat([buffer, chunk]);
    let end;
    while ((end = buffer.indexOf(0)) >= 0) {
      const message = JSON.parse(buffer.subarray(0, end).toString('utf8'));
      buffer = buffer.subarray(end + 1);
      if (message.id && pending.has(message.id)) {
        const { resolve, reject } = pending.get(message.id);
        pending.delete(message.id);
        if (message.error) reject(new Error(JSON.stringify(message.error)));
        else resolve(message.result);
      } else if (message.method) {
        for (const l of listeners) l(message);
      }
    }
  });
  const send = (method, params = {}, sessionId) => new Promise((resolve, reject) => {
    const id = nextId++;
    pending.set(id, { resolve, reject });
    toBrowser.write(JSON.stringify({ id, method, params, sessionId }) + '\0');
  });
  const exited = new Promise((resolve) => child.on('exit', resolve));
  const close = async () => {
    try { await send('Browser.close'); } catch { child.kill(); }
    await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
    child.kill('SIGKILL');
    rmSync(profile, { recursive: true, force: true });
  };
  const { targetId } = await send('Target.createTarget', { url: 'about:blank' });
  const { sessionId } = await send('Target.attachToTarget', { targetId, flatten: true });
  const page = (method, params) => send(method, params, sessionId);
  const consoleLines = [];
  listeners.push((m) => {
    if (m.sessionId !== sessionId) return;
    if (m.method === 'Runtime.consoleAPICalled') {
      consoleLines.push(m.params.args.map((a) => a.value ?? a.description ?? '').join(' '));
    } else if (m.method === 'Runtime.exceptionThrown') {
      consoleLines.push('exception: ' + JSON.stringify(m.params.exceptionDetails.exception?.description ?? m.params.exceptionDetails.text));
    }
  });
  await page('Runtime.enable');
  await page('Page.enable');
  return { page, browser: send, close, consoleLines, stderr: () => stderr };
}

async function evaluate(page, expression) {
  const { result, exceptionDetails } = await page('Runtime.evaluate', { expression, returnByValue: true });
  if (exceptionDetails) throw new Error(exceptionDetails.text);
  return result.value;
}

/** The page's status lines as an object, or {} before there are any. */
async function status(page) {
  const text = await evaluate(page, "(document.getElementById('lab-status') || {}).textContent || ''");
  const out = {};
  for (const line of text.split('\n')) {
    const i = line.indexOf('=');
    if (i > 0) out[line.slice(0, i)] = line.slice(i + 1);
  }
  return out;
}

async function waitFor(page, what, predicate, consoleLines) {
  const started = Date.now();
  for (;;) {
    const s = await status(page);
    if (predicate(s)) return s;
    if (Date.now() - started > TIMEOUT_MS) {
      fail(`timed out after ${TIMEOUT_MS} ms waiting for ${what}; status: ${JSON.stringify(s)}; console:\n${consoleLines.join('\n')}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Decodes an 8-bit RGB or RGBA PNG (what Chromium writes). */
function decodePng(bytes) {
  let offset = 8;
  let width = 0, height = 0, channels = 0;
  const data = [];
  while (offset < bytes.length) {
    const length = bytes.readUInt32BE(offset);
    const type = bytes.toString('ascii', offset + 4, offset + 8);
    const body = bytes.subarray(offset + 8, offset + 8 + length);
    if (type === 'IHDR') {
      width = body.readUInt32BE(0);
      height = body.readUInt32BE(4);
      if (body[8] !== 8 || body[12] !== 0) fail('unexpected PNG format');
      channels = { 2: 3, 6: 4 }[body[9]];
      if (!channels) fail(`unexpected PNG colour type ${body[9]}`);
    } else if (type === 'IDAT') {
      data.push(body);
    }
    offset += 12 + length;
  }
  const raw = inflateSync(Buffer.concat(data));
  const stride = width * channels;
  const pixels = Buffer.alloc(stride * height);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)];
    const line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    for (let x = 0; x < stride; x++) {
      const a = x >= channels ? pixels[y * stride + x - channels] : 0;
      const b = y > 0 ? pixels[(y - 1) * stride + x] : 0;
      const c = x >= channels && y > 0 ? pixels[(y - 1) * stride + x - channels] : 0;
      let v = line[x];
      if (filter === 1) v += a;
      else if (filter === 2) v += b;
      else if (filter === 3) v += (a + b) >> 1;
      else if (filter === 4) {
        const p = a + b - c;
        const pa = Math.abs(p - a), pb = Math.abs(p - b), pc = Math.abs(p - c);
        v += pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      }
      pixels[y * stride + x] = v & 0xff;
    }
  }
  return { width, height, channels, pixels };
}

async function checkTheLab() {
  const { page, close, consoleLines } = await launch([]);
  const link = `#scenario=${expected.scenario}&seed=${expected.seed}&run=end`;
  const opened = Date.now();
  await page('Page.navigate', { url: base + link });
  const s = await waitFor(page, 'the run to end', (s) => s.error || (s.state && s.state !== 'running'), consoleLines);
  if (s.error) fail(`the page reports an error: ${s.error}`);
  const seconds = ((Date.now() - opened) / 1000).toFixed(1);
  if (s.link !== expected.scenario) fail(`status names scenario ${s.link}, expected ${expected.scenario}`);
  if (Number(s.seed) !== expected.seed) fail(`status has seed ${s.seed}, expected ${expected.seed}`);
  if (s.fingerprint !== expected.fingerprint) {
    fail(`the browser's fingerprint ${s.fingerprint} differs from the CLI's ${expected.fingerprint}`);
  }
  const title = await evaluate(page, 'document.title');
  if (!title.includes(`seed ${expected.seed}`)) fail(`page title "${title}" does not name the seed`);
  console.log(`web test: ${s.link} seed ${s.seed} ran to event ${s.event} (${s.state}) in the browser: fingerprint ${s.fingerprint}, the CLI's too`);
  console.log(`web test: first frame ${s.first_frame_ms} ms after navigation; run ended in ${seconds} s; title "${title}"`);
  // The address was rewritten to the run's state, and it is a lab link.
  const address = await evaluate(page, 'location.hash');
  if (!address.startsWith(`#scenario=${expected.scenario}&seed=${expected.seed}`)) {
    fail(`the address did not follow the run: ${address}`);
  }

  // Let a few frames draw, then look at the cluster view's pixels.
  await new Promise((r) => setTimeout(r, 1500));
  const shot = await page('Page.captureScreenshot', { format: 'png' });
  const png = Buffer.from(shot.data, 'base64');
  if (expected.screenshot) writeFileSync(expected.screenshot, png);
  const image = decodePng(png);
  const after = await status(page);
  const [x, y, w, h] = (after.cluster || '').split(',').map(Number);
  if (!(w > 50 && h > 50)) fail(`no cluster view in the status: ${after.cluster}`);
  const dpr = await evaluate(page, 'window.devicePixelRatio');
  const colours = new Set();
  let nonBackground = 0;
  const x0 = Math.floor(x * dpr), y0 = Math.floor(y * dpr);
  const x1 = Math.min(image.width, Math.floor((x + w) * dpr)), y1 = Math.min(image.height, Math.floor((y + h) * dpr));
  const at = (px, py) => {
    const i = (py * image.width + px) * image.channels;
    return (image.pixels[i] << 16) | (image.pixels[i + 1] << 8) | image.pixels[i + 2];
  };
  const background = at(x0 + 2, y0 + 2);
  for (let py = y0; py < y1; py += 2) {
    for (let px = x0; px < x1; px += 2) {
      const c = at(px, py);
      colours.add(c);
      if (c !== background) nonBackground++;
    }
  }
  const sampled = Math.ceil((x1 - x0) / 2) * Math.ceil((y1 - y0) / 2);
  const share = nonBackground / sampled;
  console.log(`web test: cluster view ${w}x${h} at (${x},${y}): ${colours.size} colours, ${(share * 100).toFixed(1)}% of pixels drawn over the background`);
  if (colours.size < 20 || share < 0.005) fail('the cluster view looks blank');

  // More runs, each driven to its end by a new address in the same page.
  for (const run of expected.more || []) {
    const seedPart = run.seed === null ? '' : `&seed=${run.seed}`;
    await evaluate(page, `location.hash = '#scenario=${run.scenario}${seedPart}&run=end'`);
    const r = await waitFor(page, `${run.scenario} to run to its end`, (s) => s.error || (s.link === run.scenario && (run.seed === null || s.seed === String(run.seed)) && s.state && s.state !== 'running'), consoleLines);
    if (r.error) fail(`the page reports an error for ${run.scenario}: ${r.error}`);
    if (r.fingerprint !== run.fingerprint) {
      fail(`${run.scenario} seed ${r.seed}: the browser's fingerprint ${r.fingerprint} differs from the CLI's ${run.fingerprint}`);
    }
    console.log(`web test: ${run.scenario} seed ${r.seed}: ${r.event} events, ${r.state}, fingerprint ${r.fingerprint} in the browser and the CLI`);
  }

  // Editing the address moves the lab; a bad address says why.
  await evaluate(page, "location.hash = '#scenario=gossip/basic&seed=5&event=10'");
  await waitFor(page, 'the lab to follow the new address', (s) => s.link === 'gossip/basic' && s.seed === '5' && s.event === '10', consoleLines);
  await evaluate(page, "location.hash = '#scenario=raft/no-such-scenario'");
  const bad = await waitFor(page, 'the bad address to be reported', (s) => s.error, consoleLines);
  if (!bad.error.includes('does not ship') || bad.link !== 'gossip/basic') {
    fail(`a bad address should leave the lab as it was and say why: ${JSON.stringify(bad)}`);
  }
  console.log('web test: a new address moved the lab to gossip/basic seed 5 event 10; a bad one was reported');
  await close();
}

/** Presses a key on the focused canvas, as a user would. */
async function press(page, key, code, modifiers = 0) {
  const text = modifiers ? undefined : key;
  await page('Input.dispatchKeyEvent', { type: 'keyDown', key, code, modifiers, text });
  await page('Input.dispatchKeyEvent', { type: 'keyUp', key, code, modifiers });
}

async function checkBranchDownload() {
  if (!expected.download_dir) return;
  const { page, browser, close, consoleLines } = await launch([]);
  await browser('Browser.setDownloadBehavior', { behavior: 'allow', downloadPath: expected.download_dir });
  const event = expected.branch_event;
  await page('Page.navigate', { url: `${base}#scenario=${expected.scenario}&seed=${expected.seed}&event=${event}` });
  await waitFor(page, `the cursor at event ${event}`, (s) => s.error || Number(s.event) === event, consoleLines);
  await evaluate(page, "document.getElementById('lab').focus()");
  await press(page, 'h', 'KeyH');
  const healed = await waitFor(page, 'the injected heal', (s) => s.error || Number(s.event) === event + 1, consoleLines);
  if (healed.error) fail(`the page reports an error: ${healed.error}`);
  await press(page, 's', 'KeyS', 2 /* Ctrl */);
  const file = join(expected.download_dir, expected.branch_file);
  const started = Date.now();
  while (!existsSync(file)) {
    if (Date.now() - started > 30000) {
      const s = await status(page);
      fail(`no download of ${expected.branch_file} after Ctrl+S; status: ${JSON.stringify(s)}; console:\n${consoleLines.join('\n')}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  console.log(`web test: healed after event ${event} and saved: the page downloaded ${expected.branch_file}`);
  await close();
}

async function checkNoWebGl() {
  const { page, close, consoleLines } = await launch(['--disable-webgl', '--disable-3d-apis', '--disable-webgpu', '--disable-features=WebGPU,Vulkan']);
  await page('Page.navigate', { url: base });
  const s = await waitFor(page, 'the no-WebGL message', (s) => s.error || s.state, consoleLines);
  if (!s.error) fail(`without WebGL the lab claims to run: ${JSON.stringify(s)}`);
  const shown = await evaluate(page, "(() => { const m = document.getElementById('lab-message'); return m.hidden ? '' : m.textContent; })()");
  if (!shown.includes('cannot draw')) fail(`without WebGL the page shows: "${shown}"`);
  console.log(`web test: without WebGL the page says: "${shown.split('\n')[0]}"`);
  await close();
}

await checkTheLab();
await checkBranchDownload();
await checkNoWebGl();
console.log('web test: ok');
process.exit(0);
