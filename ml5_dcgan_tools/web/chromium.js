'use strict';
/*
 * Opens one page in real headless Chromium (playwright-core) and runs a script in it.
 *
 *   node chromium.js request.json
 *
 * The request names the npm project folder, the Chromium executable and its arguments, the
 * page URL, URL prefixes answered from local folders (so that a page loading its libraries
 * from a CDN runs offline), an optional expression to wait for, the script (a JavaScript
 * expression, awaited if it is a promise, whose value must be JSON), an optional screenshot
 * and the result file. The result goes to a file so that nothing Chromium prints corrupts it.
 *
 * Also a module: require('./chromium.js') gives run(request, result), fromFolder and oneLine,
 * for drivers that need more than one script (browser_check.js can be built on it).
 */
const fs = require('fs');
const path = require('path');
const { createRequire } = require('module');

function oneLine(error) {
  const text = error && error.message !== undefined ? error.message : String(error);
  return text.split('\n').map((line) => line.trim()).filter(Boolean)[0] || 'no message';
}

/** Answers a request below ``prefix`` with the file of that name in ``folder``. */
function fromFolder(route, prefix, folder) {
  const relative = decodeURIComponent(route.request().url().slice(prefix.length)
    .split(/[?#]/)[0]);
  const file = path.resolve(folder, relative);
  if (!file.startsWith(folder + path.sep) || !fs.existsSync(file)) {
    return route.fulfill({ status: 404, body: 'not in the local folder' });
  }
  return route.fulfill({ path: file, headers: { 'Access-Control-Allow-Origin': '*' } });
}

async function run(request, result) {
  const runtimeRequire = createRequire(path.join(request.runtime_dir, 'package.json'));
  const { chromium } = runtimeRequire('playwright-core');
  let stage = 'launch';
  let browser = null;
  let page = null;
  try {
    browser = await chromium.launch({
      executablePath: request.chromium, args: request.chromium_args, timeout: request.timeout_ms,
    });
    result.chromium = browser.version();
    page = await browser.newPage({ viewport: request.viewport });
    page.setDefaultTimeout(request.timeout_ms);
    page.on('pageerror', (error) => result.page_errors.push(oneLine(error)));
    page.on('console', (entry) => {
      if (entry.type() === 'error') result.console_errors.push(oneLine(entry.text()));
    });
    for (const [prefix, folder] of Object.entries(request.routes)) {
      await page.route((url) => url.href.startsWith(prefix),
        (route) => fromFolder(route, prefix, folder));
    }
    stage = 'page';
    await page.goto(request.page_url);
    if (request.wait_for) await page.waitForFunction(request.wait_for);
    stage = 'script';
    result.value = await page.evaluate(request.script);
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
    chromium: null, value: null, failed_at: null, error: null, screenshot_error: null,
    page_errors: [], console_errors: [],
  };
  await run(request, result);
  fs.writeFileSync(`${request.result}.part`, JSON.stringify(result));
  fs.renameSync(`${request.result}.part`, request.result);
}

module.exports = { run, fromFolder, oneLine };

if (require.main === module) {
  main().catch((error) => {
    process.stderr.write(`chromium.js: ${oneLine(error)}\n`);
    process.exitCode = 3;
  });
}
