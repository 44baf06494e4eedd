'use strict';
/*
 * Runs a bundle in real headless Chromium, driven by playwright-core, on one or more pages (one
 * per stack: ml5 0.12.2, ml5 1.x, plain TF.js), all in one browser.
 *
 *   node browser_check.js request.json
 *
 * The request (written by ml5_dcgan_tools.web.browser_check) names the npm project folder, the
 * Chromium executable and the result file, and lists the pages: each page's URL (served over
 * the bundle folder, so the page's "manifest.json" is the bundle's), whether its own sketch
 * must come up first (body[data-state] leaves "loading"), an optional screenshot path, and the
 * loads to do in it: a loader ("ml5.DCGAN", ml5's own in 0.12.2 or ml5-dcgan.js's in 1.x, or
 * "ml5DCGAN", the ml5-dcgan.js function), a manifest URL and the latents to draw, with a
 * labelled bundle also their label rows (given to generate() as { label } in the loader's public
 * form: a one-hot row as the class name, any other row as name -> weight). The RGBA bytes
 * come back base64-encoded, or the one-line error; Python compares them. The result goes to a
 * file so that nothing Chromium prints can corrupt it.
 *
 * A published manifest names its model by the absolute URL it will have once hosted
 * (model_prefix): requests below that URL are answered from the bundle folder, so the check
 * needs no network and proves the files at hand.
 */
const fs = require('fs');
const path = require('path');
const { createRequire } = require('module');
const { fromFolder, oneLine } = require('./chromium.js');

function secondsSince(start) {
  return Number(process.hrtime.bigint() - start) / 1e9;
}

/** In the page: what runs there, and each load's images (or its error). */
async function loadInPage(loads) {
  const tf = window.ml5 ? ml5.tf : window.tf;
  const info = {
    ml5: window.ml5 ? ml5.version : null,
    tfjs: tf ? tf.version.tfjs : null,
    webgl_renderer: null,
    backend: null,
    loads: [],
  };
  const gl = document.createElement('canvas').getContext('webgl');
  const debug = gl && gl.getExtension('WEBGL_debug_renderer_info');
  if (debug) info.webgl_renderer = gl.getParameter(debug.UNMASKED_RENDERER_WEBGL);
  const message = (error) => (error && error.message) || String(error);
  const ml5Major = window.ml5 ? parseInt(ml5.version, 10) : null;
  // A label row as ml5-dcgan.js takes it: a class name when one-hot, else name -> weight.
  const labelOf = (row, names) => {
    const hot = row.findIndex((weight) => weight === 1);
    if (hot >= 0 && row.every((weight, i) => i === hot || weight === 0)) return names[hot];
    return Object.fromEntries(names.map((name, i) => [name, row[i]]));
  };
  for (const { loader, manifest, latents, labels } of loads) {
    const done = { loader, manifest, images: [], sizes: [], image_type: null, failed_at: null,
      error: null };
    info.loads.push(done);
    let gan;
    try {
      if (loader === 'ml5DCGAN') {
        gan = await ml5DCGAN(manifest);
      } else {
        gan = await ml5.DCGAN(manifest); // 0.12.2: a Promise; ml5-dcgan.js: the object
        if (gan.ready) await gan.ready;
      }
    } catch (error) {
      Object.assign(done, { failed_at: 'load', error: message(error) });
      continue;
    }
    for (const [index, latent] of latents.entries()) {
      let result;
      try {
        if (labels) {
          const label = labelOf(labels[index], gan.labels);
          result = await gan.generate(Float32Array.from(latent), { label });
        } else if (loader === 'ml5.DCGAN' && ml5Major === 0) {
          result = await gan.generate(undefined, Array.from(latent)); // ml5 needs an Array
        } else {
          result = await gan.generate(Float32Array.from(latent));
        }
      } catch (error) {
        Object.assign(done, { failed_at: 'generate', error: message(error) });
        break;
      }
      let binary = '';
      for (let i = 0; i < result.raw.length; i += 1) binary += String.fromCharCode(result.raw[i]);
      done.images.push(btoa(binary));
      done.sizes.push(result.image ? [result.image.height, result.image.width] : null);
      done.image_type = result.image ? result.image.constructor.name : null;
    }
    if (gan.dispose) gan.dispose();
  }
  if (tf) info.backend = tf.getBackend();
  return info;
}

/** Opens one page, waits for its sketch, does its loads; failures land in `outcome`. */
async function checkPage(browser, request, spec) {
  const outcome = {
    name: spec.name, ml5: null, tfjs: null, backend: null, webgl_renderer: null, page: null,
    loads: [], failed_at: null, error: null, screenshot_error: null, page_errors: [],
    console_errors: [], seconds: { page: null, generate: null },
  };
  const page = await browser.newPage({ viewport: { width: 600, height: 300 } }); // grows
  page.setDefaultTimeout(request.timeout_ms);
  page.on('pageerror', (error) => outcome.page_errors.push(oneLine(error)));
  page.on('console', (entry) => {
    if (entry.type() === 'error') outcome.console_errors.push(oneLine(entry.text()));
  });
  let stage = 'page';
  let start = process.hrtime.bigint();
  try {
    if (request.model_prefix) {
      await page.route((url) => url.href.startsWith(request.model_prefix),
        (route) => fromFolder(route, request.model_prefix, request.bundle_dir));
    }
    await page.goto(spec.url);
    await page.waitForFunction(() => document.body.dataset.state !== 'loading');
    outcome.page = await page.evaluate(() => ({
      state: document.body.dataset.state,
      status: (document.getElementById('status') || {}).textContent || '',
    }));
    outcome.seconds.page = secondsSince(start);
    stage = 'generate';
    start = process.hrtime.bigint();
    Object.assign(outcome, await page.evaluate(loadInPage, spec.loads));
    outcome.seconds.generate = secondsSince(start);
  } catch (error) {
    outcome.failed_at = stage;
    outcome.error = oneLine(error);
  } finally {
    if (spec.screenshot) {
      await page.screenshot({ path: spec.screenshot, fullPage: true }).catch((error) => {
        outcome.screenshot_error = oneLine(error);
      });
    }
    await page.close();
  }
  return outcome;
}

async function check(request, result) {
  const runtimeRequire = createRequire(path.join(request.runtime_dir, 'package.json'));
  const { chromium } = runtimeRequire('playwright-core');
  const start = process.hrtime.bigint();
  let browser;
  try {
    browser = await chromium.launch({
      executablePath: request.chromium, args: request.chromium_args, timeout: request.timeout_ms,
    });
  } catch (error) {
    result.launch_error = oneLine(error);
    return;
  }
  try {
    result.chromium = browser.version();
    result.seconds.launch = secondsSince(start);
    for (const spec of request.pages) {
      result.pages.push(await checkPage(browser, request, spec));
    }
  } finally {
    await browser.close();
  }
}

async function main() {
  const request = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
  const result = { chromium: null, launch_error: null, pages: [], seconds: { launch: null } };
  await check(request, result);
  fs.writeFileSync(`${request.result}.part`, JSON.stringify(result));
  fs.renameSync(`${request.result}.part`, request.result);
}

main().catch((error) => {
  process.stderr.write(`browser_check.js: ${oneLine(error)}\n`);
  process.exitCode = 3;
});
