'use strict';
/*
 * Proves one bundle inside one real TF.js version, the way ml5 0.12.2 uses it.
 *
 *   node run_bundle.js request.json
 *
 * The request (written by ml5_dcgan_tools.runtime.tfjs) names the npm project folder of one TF.js
 * version, the module to load from it (@tensorflow/tfjs), the bundle folder, model.json inside
 * it, the latent file (little-endian float32, shape latent_shape), for a labelled generator the
 * label file (little-endian float32, shape label_shape, one row per latent, fed as the model's
 * second input), where to write the outputs (little-endian float32) and the result JSON.
 * The result goes to a file because TF.js 4 prints banners on stdout.
 *
 * The bundle is untrusted: files are read only from inside the bundle folder (no "..", no
 * absolute paths or URLs, symbolic links resolved and checked) and at most max_bytes in total.
 * Loading a layers model runs no code from the bundle.
 */
const fs = require('fs');
const path = require('path');
const { createRequire } = require('module');

const BYTES_PER_ELEMENT = { float32: 4, int32: 4, bool: 1, uint8: 1, uint16: 2, float16: 2 };
const ML5_POSTPROCESS = 'squeeze().transpose([1, 2, 0]).div(2).add(0.5)';

/** A problem with the bundle's files, reported as it is (no stack). */
class BundleError extends Error {}

function oneLine(error) {
  const text = error && error.message !== undefined ? error.message : String(error);
  return text.replace(/\s+/g, ' ').trim();
}

function secondsSince(start) {
  return Number(process.hrtime.bigint() - start) / 1e9;
}

/** Resolves a path named by the bundle, refusing anything that leaves the bundle folder. */
function bundleFile(bundleReal, baseDir, relPath, what) {
  if (typeof relPath !== 'string' || relPath === '') {
    throw new BundleError(`${what} is not a file name: ${JSON.stringify(relPath)}`);
  }
  if (path.isAbsolute(relPath) || relPath.includes('\\') || /^[A-Za-z][A-Za-z0-9+.-]*:/.test(relPath)) {
    throw new BundleError(
      `${what} "${relPath}" must be a relative path inside the bundle (no URL, absolute path or backslash)`);
  }
  if (relPath.split('/').includes('..')) {
    throw new BundleError(`${what} "${relPath}" must not leave the bundle folder ("..")`);
  }
  let real;
  try {
    real = fs.realpathSync(path.join(baseDir, relPath));
  } catch (error) {
    throw new BundleError(`${what} "${relPath}" is missing from the bundle`);
  }
  if (!real.startsWith(bundleReal + path.sep)) {
    throw new BundleError(`${what} "${relPath}" is a link that points outside the bundle folder`);
  }
  const stat = fs.statSync(real);
  if (!stat.isFile()) {
    throw new BundleError(`${what} "${relPath}" is not a regular file`);
  }
  return { real, size: stat.size };
}

/** Reads files within a byte budget, so a hostile bundle cannot exhaust memory. */
class BudgetedReader {
  constructor(maxBytes) {
    this.left = maxBytes;
    this.maxBytes = maxBytes;
  }

  read(file, relPath) {
    if (file.size > this.left) {
      throw new BundleError(
        `the bundle is larger than the ${this.maxBytes}-byte limit (reading "${relPath}")`);
    }
    this.left -= file.size;
    try {
      return fs.readFileSync(file.real);
    } catch (error) {
      throw new BundleError(`cannot read "${relPath}": ${oneLine(error)}`);
    }
  }
}

function expectedBytes(spec) {
  const dtype = spec.quantization ? spec.quantization.dtype : spec.dtype;
  const size = BYTES_PER_ELEMENT[dtype];
  if (size === undefined || !Array.isArray(spec.shape)) {
    return null; // unknown to us: leave the verdict to TF.js
  }
  return spec.shape.reduce((a, b) => a * b, 1) * size;
}

/** Reads model.json and its shards into the artifacts tf.io.fromMemory takes. */
function readBundle(request) {
  const bundleReal = fs.realpathSync(request.bundle_dir);
  const reader = new BudgetedReader(request.max_bytes);
  const modelFile = bundleFile(bundleReal, bundleReal, request.model_json, 'model file');
  let model;
  try {
    model = JSON.parse(reader.read(modelFile, request.model_json).toString('utf8'));
  } catch (error) {
    if (error instanceof BundleError) throw error;
    throw new BundleError(`${request.model_json} is not valid JSON: ${oneLine(error)}`);
  }
  if (model === null || typeof model !== 'object' || !model.modelTopology) {
    throw new BundleError(`${request.model_json} has no modelTopology`);
  }
  const manifest = model.weightsManifest === undefined ? [] : model.weightsManifest;
  if (!Array.isArray(manifest)) {
    throw new BundleError(`${request.model_json}: weightsManifest is not a list`);
  }
  const modelDir = path.dirname(modelFile.real);
  const weightSpecs = [];
  const chunks = [];
  manifest.forEach((group, index) => {
    if (!group || !Array.isArray(group.paths) || !Array.isArray(group.weights)) {
      throw new BundleError(`${request.model_json}: weightsManifest[${index}] needs "paths" and "weights" lists`);
    }
    for (const relPath of group.paths) {
      const file = bundleFile(bundleReal, modelDir, relPath, 'weight file');
      chunks.push(reader.read(file, relPath));
    }
    weightSpecs.push(...group.weights);
  });
  const weightData = Buffer.concat(chunks);
  const specBytes = weightSpecs.map(expectedBytes);
  if (!specBytes.includes(null)) {
    const needed = specBytes.reduce((a, b) => a + b, 0);
    if (weightData.length < needed) {
      throw new BundleError(
        `the weight files hold ${weightData.length} bytes but weightsManifest describes ${needed}`);
    }
  }
  return {
    modelTopology: model.modelTopology,
    weightSpecs,
    // A fresh ArrayBuffer of exactly the data (Buffer.concat may return a slice of a pool).
    weightData: weightData.buffer.slice(weightData.byteOffset, weightData.byteOffset + weightData.length),
  };
}

function readRows(file, shape) {
  const [count, dim] = shape;
  const bytes = fs.readFileSync(file);
  if (bytes.length !== count * dim * 4) {
    throw new Error(`${file} has ${bytes.length} bytes, expected ${count}x${dim} float32`);
  }
  const rows = [];
  for (let i = 0; i < count; i += 1) {
    const row = new Float32Array(dim);
    for (let j = 0; j < dim; j += 1) row[j] = bytes.readFloatLE((i * dim + j) * 4);
    rows.push(row);
  }
  return rows;
}

/** What ml5 0.12.2 does with one output; returns the reason it fails, or null. */
async function ml5Problem(tf, output) {
  let image;
  try {
    image = tf.tidy(() => output.squeeze().transpose([1, 2, 0]).div(tf.scalar(2)).add(tf.scalar(0.5)));
  } catch (error) {
    return `ml5's post-processing ${ML5_POSTPROCESS} fails on output shape [${output.shape}]: ${oneLine(error)}`;
  }
  try {
    await tf.browser.toPixels(image);
    return null;
  } catch (error) {
    return `tf.browser.toPixels fails on output shape [${output.shape}] after ${ML5_POSTPROCESS}: ${oneLine(error)}`;
  } finally {
    image.dispose();
  }
}

function failure(result, stage, error) {
  result.failed_at = stage;
  result.error = oneLine(error);
  result.ml5 = { accepts: false, problem: result.error };
  return result;
}

async function prove(request) {
  const result = {
    tfjs: null, failed_at: null, error: null, output_shape: null,
    ml5: { accepts: false, problem: null }, seconds: { load: null, predict: [] },
  };
  const tf = createRequire(path.join(request.runtime_dir, 'package.json'))(request.module);
  await tf.setBackend('cpu');
  result.tfjs = tf.version.tfjs;

  const latents = readRows(request.latents, request.latent_shape);
  const labels = request.labels ? readRows(request.labels, request.label_shape) : null;
  let start = process.hrtime.bigint();
  let artifacts;
  try {
    artifacts = readBundle(request);
  } catch (error) {
    if (!(error instanceof BundleError)) throw error;
    return failure(result, 'read', error);
  }
  let model;
  try {
    model = await tf.loadLayersModel(tf.io.fromMemory(artifacts));
  } catch (error) {
    return failure(result, 'load', error);
  }
  result.seconds.load = secondsSince(start);
  if (model.outputs.length !== 1) {
    return failure(result, 'load', new Error(`the model has ${model.outputs.length} outputs; ml5 expects one`));
  }

  const outputs = [];
  let problem = null;
  for (const [index, row] of latents.entries()) {
    start = process.hrtime.bigint();
    let output;
    try {
      // Batch of one, as ml5's generate() does; a labelled generator gets [latent, label].
      output = tf.tidy(() => {
        const latent = tf.tensor2d(row, [1, row.length]);
        if (labels === null) return model.predict(latent);
        const label = labels[index];
        return model.predict([latent, tf.tensor2d(label, [1, label.length])]);
      });
    } catch (error) {
      return failure(result, 'predict', error);
    }
    outputs.push(await output.data());
    result.seconds.predict.push(secondsSince(start));
    result.output_shape = output.shape;
    if (problem === null) problem = await ml5Problem(tf, output);
    output.dispose();
  }
  const flat = new Float32Array(outputs.reduce((n, o) => n + o.length, 0));
  let offset = 0;
  for (const o of outputs) {
    flat.set(o, offset);
    offset += o.length;
  }
  const bytes = Buffer.alloc(flat.length * 4);
  flat.forEach((value, i) => bytes.writeFloatLE(value, i * 4));
  fs.writeFileSync(request.outputs, bytes);
  result.ml5 = { accepts: problem === null, problem };
  return result;
}

function writeAtomically(file, text) {
  fs.writeFileSync(`${file}.part`, text);
  fs.renameSync(`${file}.part`, file);
}

async function main() {
  const request = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
  const result = await prove(request);
  writeAtomically(request.result, JSON.stringify(result));
}

main().catch((error) => {
  // An internal failure (bad request, broken npm install): Python reports stderr's last line.
  process.stderr.write(`run_bundle.js: ${oneLine(error)}\n`);
  process.exitCode = 3;
});
