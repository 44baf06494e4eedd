// A p5.js + ml5.js 0.12.2 sketch for a DCGAN bundle, written by ml5-dcgan-tools.
//
// Serve this folder over HTTP and open index.html (ml5 fetches the model's files, which a page
// opened from file:// cannot do):   ml5-dcgan serve <this folder>
//
// The big picture walks smoothly through the latent space; "new image" jumps to a fresh random
// point and keeps the picture in the row below.

const MANIFEST_URL = __MANIFEST_URL__;
const WALK_STEPS = 60; // generated frames from one random point to the next
const GALLERY_SIZE = 4;
const SIDE = 512; // canvas width; the walk is SIDE x SIDE, the gallery one row below it
const GAP = 8;
const THUMB = (SIDE - GAP * (GALLERY_SIZE - 1)) / GALLERY_SIZE;

let dcgan;
let latentDim;
let walkFrom;
let walkTo;
let walkStep = 0;
let walking = true;
let busy = false; // one generate() at a time
let jumpRequested = false;
let walkImage = null;
const gallery = [];
let walkButton;

function setup() {
  createCanvas(SIDE, SIDE + GAP + THUMB).parent('sketch');
  pixelDensity(1);
  noSmooth(); // show the generator's real pixels, not a blur
  createButton('new image').parent('controls').mousePressed(newImage);
  walkButton = createButton('pause walk').parent('controls').mousePressed(toggleWalk);
  loadDCGAN(MANIFEST_URL).then(start).catch(fail);
}

// ml5 0.12.2 resolves a relative "model" path in manifest.json against this page, not against
// the manifest. Resolve it against the manifest here and hand ml5 a copy whose "model" is an
// absolute URL, so the page works wherever it lives.
async function loadDCGAN(manifestUrl) {
  const manifestHref = new URL(manifestUrl, document.baseURI).href;
  const response = await fetch(manifestHref);
  if (!response.ok) {
    throw new Error(`${manifestHref}: HTTP ${response.status}`);
  }
  const manifest = await response.json();
  if (!Number.isInteger(manifest.modelLatentDim)) {
    throw new Error(`${manifestHref} has no whole-number modelLatentDim`);
  }
  const resolved = { ...manifest, model: new URL(manifest.model, manifestHref).href };
  const blob = new Blob([JSON.stringify(resolved)], { type: 'application/json' });
  const blobUrl = URL.createObjectURL(blob);
  try {
    return { model: await ml5.DCGAN(blobUrl), manifest };
  } finally {
    URL.revokeObjectURL(blobUrl);
  }
}

async function start({ model, manifest }) {
  dcgan = model;
  latentDim = manifest.modelLatentDim;
  const description = manifest.description || 'DCGAN';
  document.title = `${description} · ml5 DCGAN`;
  select('#title').elt.textContent = description;
  for (let i = 0; i < GALLERY_SIZE; i += 1) {
    gallery.push(await generateImage(randomLatent()));
  }
  walkFrom = randomLatent();
  walkTo = randomLatent();
  walkImage = await generateImage(walkFrom);
  setStatus(`latent dimension ${latentDim}, ml5 ${ml5.version}, TF.js backend `
    + `${ml5.tf.getBackend()}`);
  document.body.dataset.state = 'ready';
}

function fail(error) {
  walking = false;
  setStatus(`could not run the model: ${error.message || error}`);
  document.body.dataset.state = 'error';
}

function setStatus(text) {
  select('#status').elt.textContent = text;
}

async function generateImage(latent) {
  // ml5 needs a plain Array: a Float32Array would be silently replaced by random numbers.
  const result = await dcgan.generate(undefined, latent);
  return result.image;
}

function draw() {
  background(255);
  if (walkImage) {
    image(walkImage, 0, 0, SIDE, SIDE);
  } else {
    noStroke();
    fill(235);
    rect(0, 0, SIDE, SIDE); // where the pictures will be
  }
  gallery.forEach((picture, i) => image(picture, i * (THUMB + GAP), SIDE + GAP, THUMB, THUMB));
  if (!walkImage || busy) return;
  if (jumpRequested) {
    jumpRequested = false;
    [walkFrom, walkTo, walkStep] = [randomLatent(), randomLatent(), 0];
    show(walkFrom, (picture) => {
      gallery.unshift(picture); // newest first
      gallery.pop();
    });
  } else if (walking) {
    walkStep += 1;
    if (walkStep > WALK_STEPS) {
      [walkFrom, walkTo, walkStep] = [walkTo, randomLatent(), 1];
    }
    const t = (1 - cos(PI * walkStep / WALK_STEPS)) / 2; // ease in and out
    show(slerp(walkFrom, walkTo, t));
  }
}

// Generates the picture for one latent point in the background and shows it when ready.
function show(latent, alsoDo = () => {}) {
  busy = true;
  generateImage(latent).then((picture) => {
    walkImage = picture;
    alsoDo(picture);
    busy = false;
  }, fail);
}

function newImage() {
  jumpRequested = true;
}

function toggleWalk() {
  walking = !walking;
  walkButton.html(walking ? 'pause walk' : 'resume walk');
}

// ml5 samples latents from a standard normal distribution: so do we.
function randomLatent() {
  return Array.from({ length: latentDim }, () => randomGaussian());
}

// Spherical interpolation: every point on the way has the length of a typical normal sample,
// so the walk stays where the generator was trained (a straight line would cut through the
// rarely seen middle).
function slerp(a, b, t) {
  const dot = a.reduce((sum, value, i) => sum + value * b[i], 0);
  const cosine = constrain(dot / (vectorLength(a) * vectorLength(b)), -1, 1);
  const omega = Math.acos(cosine);
  if (omega < 1e-6) return a.slice();
  const wa = Math.sin((1 - t) * omega) / Math.sin(omega);
  const wb = Math.sin(t * omega) / Math.sin(omega);
  return a.map((value, i) => wa * value + wb * b[i]);
}

function vectorLength(v) {
  return Math.sqrt(v.reduce((sum, value) => sum + value * value, 0));
}
