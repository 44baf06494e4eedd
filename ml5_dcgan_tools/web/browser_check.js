'use strict';
/*
 * Runs a bundle in real ml5 0.12.2 inside real headless Chromium, driven by playwright-core.
 *
 *   node browser_check.js request.json
 *
 * The request (written by ml5_dcgan_tools.runtime.browser) names the npm project folder, the
 * Chromium executable, the URL of the sketch page (served over the bundle folder, so the page's
 * "manifest.json" is the bundle's), the latents, an optional screenshot path and the result
 * file. The page's own sketch must come up first (body[data-state] leaves "loading"); then, in
 * the page, ml5.DCGAN("manifest.json") generates one image per latent, each passed as a plain
 * Array, as a user's sketch would. The RGBA bytes come back base64-encoded; Python compares
 * them. The result goes to a file so that nothing Chromium prints can corrupt it.
 *
 * A published manifest names its model by the absolute URL it will have once hosted
 * (model_prefix): requests below that URL are answered from the bundle folder, so the check
 * needs no network and proves the files at hand.
 */
const fs = require('fs');
const path = require('path');
const { createRequire } = require('module');

function oneLine(error) {
  const text = error && error.message !== undefined ? error.message : String(error);
  return text.split('\n').map((line) => line.trim()).filter(Boolean)[0] || 'no message';
}

function secondsSince(start) {
  return Number(process.hrtime.bigint() - start) / 1e9;
}

/** In the page: load the bundle with ml5 and generate one image per latent. */
async function generateInPage(latents) {
  const info = {
    ml5: window.ml5 && ml5.version,
    tfjs: window.ml5 && ml5.tf.version.tfjs,
    webgl_renderer: null,
    backend: null,
    images: [],
    shapes: [],
    failed_at: null,
    error: null,
  };
  const gl = document.createElement('canvas').getContext('webgl');
  const debug = gl && gl.getExtension('WEBGL_debug_renderer_info');
  if (debug) info.webgl_renderer = gl.getParameter(debug.UNMASKED_RENDERER_WEBGL);
  if (!window.ml5) {
    return { ...info, failed_at: 'page', error: 'ml5 is not on the page' };
  }
  const message = (error) => (error && error.message) || String(error);
  let dcgan;
  try {
    dcgan = await ml5.DCGAN('manifest.json');
  } catch (error) {
    return { ...info, failed_at: 'load', error: message(error) };
  }
  info.backend = ml5.tf.getBackend();
  for (const latent of latents) {
    let result;
    try {
      result = await dcgan.generate(undefined, Array.from(latent));
    } catch (error) {
      return { ...info, failed_at: 'generate', error: message(error) };
    }
    let binary = '';
    for (let i = 0; i < result.raw.length; i += 1) binary += String.fromCharCode(result.raw[i]);
    info.images.push(btoa(binary));
    info.shapes.push([result.image ? result.image.height : null,
      result.image ? result.image.width : null]);
  }
  return info;
}

/** Answers a request below the model's absolute URL with the bundle's file of that name. */
function serveFromBundle(route, request) {
  const relative = decodeURIComponent(route.request().url().slice(request.model_prefix.length)
    .split(/[?#]/)[0]);
  const file = path.resolve(request.bundle_dir, relative);
  if (!file.startsWith(request.bundle_dir + path.sep) || !fs.existsSync(file)) {
    return route.fulfill({ status: 404, body: 'not in the bundle folder' });
  }
  return route.fulfill({ path: file, headers: { 'Access-Control-Allow-Origin': '*' } });
}

async function check(request, result) {
  const runtimeRequire = createRequire(path.join(request.runtime_dir, 'package.json'));
  const { chromium } = runtimeRequire('playwright-core');
  let stage = 'launch';
  let browser = null;
  let page = null;
  let start = process.hrtime.bigint();
  try {
    browser = await chromium.launch({
      executablePath: request.chromium, args: request.chromium_args, timeout: request.timeout_ms,
    });
    result.chromium = browser.version();
    result.seconds.launch = secondsSince(start);
    page = await browser.newPage({ viewport: { width: 600, height: 300 } }); // grows to the page
    page.setDefaultTimeout(request.timeout_ms);
    page.on('pageerror', (error) => result.page_errors.push(oneLine(error)));
    page.on('console', (entry) => {
      if (entry.type() === 'error') result.console_errors.push(oneLine(entry.text()));
    });
    if (request.model_prefix) {
      await page.route((url) => url.href.startsWith(request.model_prefix),
        (route) => serveFromBundle(route, request));
    }

    stage = 'page';
    start = process.hrtime.bigint();
    await page.goto(request.page_url);
    await page.waitForFunction(() => document.body.dataset.state !== 'loading');
    result.page = await page.evaluate(() => ({
      state: document.body.dataset.state,
      status: document.getElementById('status').textContent,
    }));
    result.seconds.page = secondsSince(start);

    stage = 'generate';
    start = process.hrtime.bigint();
    Object.assign(result, await page.evaluate(generateInPage, request.latents));
    result.seconds.generate = secondsSince(start);
  } catch (error) {
    result.failed_at = stage;
    result.error = oneLine(error);
  } finally {
    if (page && request.screenshot) {
      await page.screenshot({ path: request.screenshot, fullPage: true }).catch((error) => {
        result.screenshot_error = oneLine(error);
      });
    }
    if (browser) await browser.close();
  }
}

async function main() {
  const request = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
  const result = {
    chromium: null, ml5: null, tfjs: null, backend: null, webgl_renderer: null,
    page: null, images: [], shapes: [], failed_at: null, error: null, screenshot_error: null,
    page_errors: [], console_errors: [], seconds: { launch: null, page: null, generate: null },
  };
  await check(request, result);
  fs.writeFileSync(`${request.result}.part`, JSON.stringify(result));
  fs.renameSync(`${request.result}.part`, request.result);
}

main().catch((error) => {
  process.stderr.write(`browser_check.js: ${oneLine(error)}\n`);
  process.exitCode = 3;
});
