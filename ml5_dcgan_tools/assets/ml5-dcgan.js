/*!
 * ml5-dcgan.js: run a DCGAN bundle (manifest.json + TF.js layers model) in today's browsers.
 * Written by ml5-dcgan-tools into every bundle it exports. MIT License. No dependencies, no build.
 *
 * ml5 1.x dropped ml5.DCGAN; this file brings it back for any bundle whose manifest.json names a
 * TF.js generator ("model") and its latent size ("modelLatentDim"). It uses the TensorFlow.js
 * already on the page, chosen when a model loads: ml5 1.x's ml5.tf, else plain TF.js >= 1.7
 * (window.tf), else ml5 0.12.2's ml5.tf. Load it after ml5.js or tf.min.js:
 *
 *   <script src="https://cdn.jsdelivr.net/npm/ml5@1.4.0/dist/ml5.min.js"></script>
 *   <script src="ml5-dcgan.js"></script>
 *
 *   const gan = await ml5DCGAN('models/faces/manifest.json'); // "model" is resolved against it
 *   const { image, raw, width, height, latent } = await gan.generate(); // random latent
 *   await gan.generate(latent);              // an Array or Float32Array of gan.latentDim numbers
 *   gan.generate(latent, (error, result) => {});              // callback form
 *   const between = gan.interpolate(latentA, latentB, 0.5);  // spherical interpolation
 *   gan.latentDim; gan.size; gan.manifest; gan.dispose();
 *
 * A labelled bundle (its manifest's "modelLabels" names the classes of the model's second
 * input, a label row [null, K]) draws the class asked for, a mix, or a random one:
 *
 *   gan.labels;                               // ['cats', 'dogs'] ([] when unlabelled)
 *   await gan.generate(latent, { label: 'cats' });  // also gan.generate({ label: 'cats' })
 *   await gan.generate(latent, { label: { cats: 0.7, dogs: 0.3 } }); // weights >= 0, normalised
 *
 * Where a host gives every uploaded file a URL of its own (the p5.js web editor swaps each quoted
 * file name in a sketch for its upload's URL), name model.json and its weight files too, the
 * weights in the order model.json lists them (this needs TensorFlow.js >= 3, as in ml5 1.x):
 *
 *   await ml5DCGAN('manifest.json', { model: 'model.json', weights: ['group1-shard1of1.bin'] });
 *
 * With ml5 1.x on the page, ml5.DCGAN(manifestUrl, callback?) also exists, in ml5 1.x's style:
 * it returns the object at once, gan.ready is a Promise of it, callback(gan, error) runs when
 * ready. `image` is a p5.Image when p5 is on the page, else an ImageData; `raw` is the RGBA bytes.
 * The pixels are exactly what ml5 0.12.2 drew: ((x + 1) / 2) * 255 rounded by tf.browser.toPixels
 * (values are clipped to [-1, 1] first). Outputs may be channels first [1, C, H, W] (ml5's
 * convention) or channels last [1, H, W, C], with C = 3, 4 or 1 (grayscale). Every failure
 * rejects with an Error whose message is one line saying what is wrong, where, and what to do.
 */
(function (root, factory) {
  if (typeof define === 'function' && define.amd) {
    define([], () => factory(root));
  } else if (typeof module === 'object' && module.exports) {
    module.exports = factory(root);
  } else {
    root.ml5DCGAN = factory(root);
    root.ml5DCGAN.addToMl5();
  }
}(typeof globalThis !== 'undefined' ? globalThis : self, (root) => {
  'use strict';

  const VERSION = '1.0.0';
  const CHANNELS = [1, 3, 4];

  function oneLine(error) {
    const text = error && error.message !== undefined ? error.message : String(error);
    return text.split('\n').map((line) => line.trim()).filter(Boolean)[0] || 'no message';
  }

  function majorVersion(version) {
    return parseInt(String(version || '0'), 10) || 0;
  }

  /** The TensorFlow.js to run on: ml5 1.x's, else the page's tf, else ml5 0.12.2's. */
  function pickTf() {
    const { ml5, tf } = root;
    if (ml5 && ml5.tf && majorVersion(ml5.version) >= 1) return ml5.tf;
    if (tf && typeof tf.loadLayersModel === 'function') {
      const [major, minor] = String(tf.version && tf.version.tfjs).split('.').map(Number);
      if (major > 1 || (major === 1 && minor >= 7)) return tf;
      throw new Error(`ml5-dcgan.js needs TensorFlow.js >= 1.7 but the page has ${tf.version.tfjs}; `
        + 'load a newer @tensorflow/tfjs');
    }
    if (ml5 && ml5.tf && typeof ml5.tf.loadLayersModel === 'function') return ml5.tf;
    throw new Error('ml5-dcgan.js found no TensorFlow.js on the page; load ml5.js (1.x or 0.12.2) '
      + 'or @tensorflow/tfjs with a <script> tag before ml5-dcgan.js');
  }

  function pageUrl() {
    const { document, location } = root;
    return (document && document.baseURI) || (location && location.href) || undefined;
  }

  async function fetchManifest(href) {
    let response;
    try {
      response = await root.fetch(href);
    } catch (error) {
      throw new Error(`could not fetch the manifest ${href} (${oneLine(error)}); serve the page `
        + 'and the bundle over http(s), e.g. with `ml5-dcgan serve`, not from file://');
    }
    if (!response.ok) {
      throw new Error(`the manifest ${href} answered HTTP ${response.status}`
        + `${response.statusText ? ` ${response.statusText}` : ''}; check the URL of manifest.json`);
    }
    const text = await response.text();
    let manifest;
    try {
      manifest = JSON.parse(text);
    } catch (error) {
      if (/^\s*</.test(text)) {
        throw new Error(`the manifest ${href} is an HTML page, not JSON; the server sent a web page `
          + 'instead of manifest.json: check the URL');
      }
      throw new Error(`the manifest ${href} is not valid JSON (${oneLine(error)})`);
    }
    const problem = manifestProblem(manifest);
    if (problem) throw new Error(`the manifest ${href} ${problem}`);
    return manifest;
  }

  function manifestProblem(manifest) {
    if (!manifest || typeof manifest !== 'object' || Array.isArray(manifest)) {
      return 'is not a JSON object';
    }
    if (typeof manifest.model !== 'string' || !manifest.model) {
      return 'has no "model" (the URL or path of model.json)';
    }
    if (!Number.isInteger(manifest.modelLatentDim) || manifest.modelLatentDim < 1) {
      return 'has no whole-number "modelLatentDim" (the length of the latent vector)';
    }
    return null;
  }

  /** `files` checked: null, or { model, weights } as absolute URLs resolved against the page. */
  function filesOption(files) {
    if (files === undefined || files === null) return null;
    const urls = (value) => Array.isArray(value) && value.length > 0
      && value.every((url) => typeof url === 'string' && url);
    if (typeof files !== 'object' || typeof files.model !== 'string' || !files.model
        || !urls(files.weights)) {
      throw new Error('ml5DCGAN(manifestUrl, files): files must be { model: "model.json", '
        + 'weights: ["group1-shard1of1.bin", ...] }, the URLs of model.json and its weight files');
    }
    const base = pageUrl();
    return {
      model: new URL(files.model, base).href,
      weights: files.weights.map((url) => new URL(url, base).href),
    };
  }

  /** TF.js's load options that fetch each weight file from `weights` (model.json's order). */
  async function weightOptions(tf, modelHref, weights) {
    if (majorVersion(tf.version && tf.version.tfjs) < 3) {
      throw new Error(`naming the weight files needs TensorFlow.js >= 3 (ml5 1.x) but the page `
        + `has ${tf.version && tf.version.tfjs}; serve the bundle as one folder instead`);
    }
    const response = await root.fetch(modelHref);
    if (!response.ok) throw new Error(`${modelHref} answered HTTP ${response.status}`);
    const groups = (await response.json()).weightsManifest || [];
    const paths = [].concat(...groups.map((group) => group.paths || []));
    if (paths.length !== weights.length) {
      throw new Error(`model.json lists ${paths.length} weight files but ${weights.length} `
        + 'were named; name every file of its weightsManifest paths, in order');
    }
    const where = new Map(paths.map((path, i) => [path, weights[i]]));
    return { weightUrlConverter: async (path) => where.get(path) };
  }

  /** Where height, width and channels are in the output, or a one-line reason it is no image. */
  function outputLayout(model, manifest) {
    const shape = JSON.stringify;
    const inputs = model.inputs.length;
    if (inputs < 1 || inputs > 2 || model.outputs.length !== 1) {
      return { problem: `has ${inputs} inputs and ${model.outputs.length} outputs` };
    }
    const input = model.inputs[0].shape;
    if (input.length !== 2) {
      return { problem: `takes input ${shape(input)}, not a latent vector [null, N]` };
    }
    const label = inputs === 2 ? model.inputs[1].shape : null;
    if (label && (label.length !== 2 || !(label[1] > 0))) {
      return { problem: `takes a second input ${shape(label)}, not a label row [null, K]` };
    }
    const out = model.outputs[0].shape;
    const first = out.length === 4 && CHANNELS.includes(out[1]) && out[2] > 0 && out[3] > 0;
    const last = out.length === 4 && CHANNELS.includes(out[3]) && out[1] > 0 && out[2] > 0;
    if (!first && !last) {
      return { problem: `outputs ${shape(out)}, not an image [null, 3, H, W] or [null, H, W, 3]` };
    }
    // Both readings fit only when the second and the last axis are both 1, 3 or 4 (a tiny
    // image): prefer ml5's channels first unless the manifest's modelSize says otherwise.
    const channelsFirst = first && !(last && out[1] === manifest.modelSize
      && out[2] === manifest.modelSize);
    const [channels, height, width] = channelsFirst ? out.slice(1) : [out[3], out[1], out[2]];
    const labelCount = label ? label[1] : 0;
    return { latentDim: input[1], labelCount, channelsFirst, channels, height, width };
  }

  /** Why the manifest's modelLabels and the model's label input disagree, or null. */
  function labelsProblem(manifest, layout) {
    const names = manifest.modelLabels === undefined ? [] : manifest.modelLabels;
    if (!Array.isArray(names) || !names.every((name) => typeof name === 'string' && name)
        || new Set(names).size !== names.length) {
      return 'has "modelLabels" that is not a list of different, non-empty names';
    }
    if (names.length === layout.labelCount) return null;
    if (!layout.labelCount) {
      return `lists ${names.length} "modelLabels" but the model takes no label; `
        + 'remove modelLabels or export the labelled generator';
    }
    return `lists ${names.length} "modelLabels" but the model's label input takes `
      + `${layout.labelCount}; name every class of the model, in order, in modelLabels`;
  }

  /** The label row fed to the model: one-hot for a name, the normalised mix for an object of
   * name -> weight, a random class for none. Errors name the known labels. */
  function labelRow(label, labels) {
    const known = `this model knows ${labels.map((name) => JSON.stringify(name)).join(', ')}`;
    if (!labels.length) {
      if (label === undefined || label === null) return null;
      throw new Error('generate(): this model has no labels (its manifest has no "modelLabels"); '
        + 'call generate() without a label');
    }
    const mix = typeof label === 'string' ? { [label]: 1 } : label;
    const row = new Float32Array(labels.length);
    if (mix === undefined || mix === null) {
      row[Math.floor(Math.random() * labels.length)] = 1; // a class uniformly at random
    } else if (typeof mix !== 'object' || Array.isArray(mix)) {
      throw new Error(`generate(): a label is a name or an object of name -> weight; ${known}`);
    } else {
      const weights = labels.map(() => 0);
      Object.entries(mix).forEach(([name, weight]) => {
        if (!labels.includes(name)) {
          throw new Error(`generate(): unknown label ${JSON.stringify(name)}; ${known}`);
        }
        if (!Number.isFinite(weight) || weight < 0) {
          throw new Error(`generate(): the weight of label ${JSON.stringify(name)} must be a `
            + `number >= 0, got ${String(weight)}`);
        }
        weights[labels.indexOf(name)] += weight;
      });
      const sum = weights.reduce((total, weight) => total + weight, 0);
      if (!(sum > 0)) throw new Error(`generate(): every weight of the label mix is 0; ${known}`);
      weights.forEach((weight, i) => { row[i] = weight / sum; });
    }
    return row;
  }

  function toLatent(values, latentDim, what) {
    const ok = Array.isArray(values) || ArrayBuffer.isView(values);
    if (!ok || values.length !== latentDim) {
      const got = ok ? `${values.length} numbers` : typeof values;
      throw new Error(`${what}: the latent must be an Array or Float32Array of ${latentDim} `
        + `numbers (the manifest's modelLatentDim), got ${got}`);
    }
    const latent = Float32Array.from(values);
    if (!latent.every(Number.isFinite)) {
      throw new Error(`${what}: the latent holds a value that is not a finite number`);
    }
    return latent;
  }

  /** A plain object of options ({ label }), not a latent (an Array or a typed array). */
  function isOptions(value) {
    return value !== null && typeof value === 'object' && !Array.isArray(value)
      && !ArrayBuffer.isView(value);
  }

  function makeImage(raw, width, height) {
    const { p5 } = root;
    if (p5 && typeof p5.Image === 'function') {
      const image = new p5.Image(width, height);
      image.loadPixels();
      image.pixels.set(raw);
      image.updatePixels();
      return image;
    }
    return new root.ImageData(new Uint8ClampedArray(raw), width, height);
  }

  /** A DCGAN generator loaded from a manifest; `ready` resolves to it once usable. */
  class DCGAN {
    constructor(manifestUrl, files) {
      this.manifest = null;
      this.latentDim = null;
      this.size = null;
      this.labels = [];
      this.model = null;
      this.tf = null;
      this.disposed = false;
      this.ready = this.load(manifestUrl, files);
    }

    async load(manifestUrl, files) {
      if (typeof manifestUrl !== 'string' && !(manifestUrl instanceof URL)) {
        throw new Error('ml5DCGAN(manifestUrl): give the URL of a manifest.json, e.g. '
          + "ml5DCGAN('manifest.json')");
      }
      const named = filesOption(files);
      const tf = pickTf();
      if (typeof tf.ready === 'function') await tf.ready();
      const href = new URL(String(manifestUrl), pageUrl()).href;
      const manifest = await fetchManifest(href);
      const modelHref = named ? named.model : new URL(manifest.model, href).href;
      let model;
      try {
        const options = named ? await weightOptions(tf, modelHref, named.weights) : undefined;
        model = await tf.loadLayersModel(modelHref, options);
      } catch (error) {
        throw new Error(`could not load the model ${modelHref} named by ${href}: `
          + `${oneLine(error)}`);
      }
      const layout = outputLayout(model, manifest);
      if (layout.problem) {
        model.dispose();
        throw new Error(`${modelHref} is not a DCGAN generator: it ${layout.problem}`);
      }
      if (layout.latentDim !== manifest.modelLatentDim) {
        model.dispose();
        throw new Error(`the manifest ${href} says modelLatentDim ${manifest.modelLatentDim} but `
          + `the model takes latent vectors of ${layout.latentDim} numbers; fix the manifest`);
      }
      if (manifest.modelSize !== undefined && manifest.modelSize !== layout.height) {
        root.console.warn(`ml5-dcgan.js: ${href} says modelSize ${manifest.modelSize} but the `
          + `model draws ${layout.height}x${layout.width} images`);
      }
      const labelProblem = labelsProblem(manifest, layout);
      if (labelProblem) {
        model.dispose();
        throw new Error(`the manifest ${href} ${labelProblem}`);
      }
      Object.assign(this, {
        tf, model, manifest, layout, latentDim: layout.latentDim, size: layout.height,
        labels: (manifest.modelLabels || []).slice(),
      });
      return this;
    }

    /** Draws one image: generate(latent?, options?, callback?), options { label }; with a
     * callback, also calls callback(error, result). */
    generate(latent, options, callback) {
      const args = [latent, options, callback];
      callback = args.find((arg) => typeof arg === 'function');
      const rest = args.filter((arg) => typeof arg !== 'function');
      [latent, options] = rest;
      if (isOptions(latent) && 'label' in latent) [latent, options] = [undefined, latent];
      const result = this.draw(latent, options);
      if (typeof callback !== 'function') return result;
      return result.then((value) => {
        callback(null, value);
        return value;
      }, (error) => callback(error));
    }

    async draw(given, options) {
      await this.ready;
      if (this.disposed) throw new Error('generate(): this DCGAN was disposed; load it again');
      const { tf, model, layout, latentDim } = this;
      if (options !== undefined && options !== null && !isOptions(options)) {
        throw new Error("generate(latent, options): options is an object, e.g. { label: 'cats' }");
      }
      const label = labelRow(options ? options.label : undefined, this.labels);
      let latent;
      if (given === undefined || given === null) {
        const noise = tf.randomNormal([1, latentDim]); // as ml5 0.12.2 samples
        latent = await noise.data();
        noise.dispose();
      } else {
        latent = toLatent(given, latentDim, 'generate()');
      }
      const { channels, height, width } = layout;
      const scaled = tf.tidy(() => {
        const input = tf.tensor2d(latent, [1, latentDim]);
        let image = model.predict(label ? [input, tf.tensor2d(label, [1, label.length])] : input);
        if (layout.channelsFirst) {
          image = image.reshape([channels, height, width]).transpose([1, 2, 0]);
        } else {
          image = image.reshape([height, width, channels]);
        }
        return image.div(tf.scalar(2)).add(tf.scalar(0.5)).clipByValue(0, 1);
      });
      let raw;
      try {
        raw = await tf.browser.toPixels(scaled);
      } finally {
        scaled.dispose();
      }
      const image = makeImage(raw, width, height);
      const result = { raw, width, height, latent: Array.from(latent), image };
      return label ? { ...result, label: Array.from(label) } : result;
    }

    /** The latent a fraction t of the way from a to b along the great circle (slerp). */
    interpolate(a, b, t) {
      const dim = this.latentDim || (a && a.length);
      const from = toLatent(a, dim, 'interpolate()');
      const to = toLatent(b, dim, 'interpolate()');
      const dot = from.reduce((sum, value, i) => sum + value * to[i], 0);
      const norms = Math.hypot(...from) * Math.hypot(...to);
      const omega = Math.acos(Math.min(1, Math.max(-1, norms ? dot / norms : 1)));
      if (omega < 1e-6) return Array.from(from, (value, i) => value + t * (to[i] - value));
      const wa = Math.sin((1 - t) * omega) / Math.sin(omega);
      const wb = Math.sin(t * omega) / Math.sin(omega);
      return Array.from(from, (value, i) => wa * value + wb * to[i]);
    }

    dispose() {
      if (this.model) this.model.dispose();
      this.model = null;
      this.disposed = true;
    }
  }

  /** Loads the DCGAN whose manifest.json is at `manifestUrl` (its model and weights at `files`
   * when given): a Promise of the ready object. */
  function ml5DCGAN(manifestUrl, files) {
    return new DCGAN(manifestUrl, files).ready;
  }

  /** ml5 1.x's style: returns the object now; `ready` and callback(gan, error) when loaded. */
  function ml5Style(manifestUrl, callback) {
    const gan = new DCGAN(manifestUrl);
    if (typeof callback === 'function') {
      gan.ready.then((ready) => callback(ready), (error) => callback(undefined, error));
    }
    return gan;
  }

  /** Adds ml5.DCGAN to ml5 1.x (which has none); leaves ml5 0.12.2's own DCGAN alone. */
  ml5DCGAN.addToMl5 = function addToMl5() {
    const { ml5 } = root;
    if (ml5 && majorVersion(ml5.version) >= 1 && !ml5.DCGAN) ml5.DCGAN = ml5Style;
  };
  ml5DCGAN.DCGAN = DCGAN;
  ml5DCGAN.version = VERSION;
  return ml5DCGAN;
}));
