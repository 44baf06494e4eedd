// A p5.js 2.x + ml5.js 1.x sketch for a DCGAN bundle, written by ml5-dcgan-tools.
//
// ml5 1.x has no DCGAN of its own: ml5-dcgan.js, loaded by index.html, adds ml5DCGAN().
// Serve this folder over HTTP and open index.html (the model's files are fetched, which a page
// opened from file:// cannot do):   ml5-dcgan serve <this folder>
//
// The big picture walks smoothly through the latent space; "new image" jumps to a fresh random
// point and keeps the picture in the row below. p5.js 2.x has no preload(): setup() is async
// and draw() starts once it has finished.

const MANIFEST_URL = __MANIFEST_URL__;
// null: model.json and its weights are where the manifest says. For the p5.js web editor, which
// gives each uploaded file a URL of its own and swaps every quoted file name in a sketch for
// it, the files are named here: model.json, then its weight files in the order it lists them.
const FILES = __FILES__;
const WALK_STEPS = 60; // generated frames from one random point to the next
// The walk is SIDE x SIDE pixels; below it, a row of GALLERY thumbnails GAP apart.
const [SIDE, GAP, GALLERY] = [512, 8, 4];
const THUMB = (SIDE - GAP * (GALLERY - 1)) / GALLERY;

let gan;
let picture = null; // the big one
const gallery = [];
const walk = { from: null, to: null, step: 0, running: true, jump: false };
let busy = false; // one generate() at a time
let walkButton;

async function setup() {
  createCanvas(SIDE, SIDE + GAP + THUMB).parent('sketch');
  pixelDensity(1);
  noSmooth(); // show the generator's real pixels, not a blur
  createButton('new image').parent('controls').mousePressed(() => { walk.jump = true; });
  walkButton = createButton('pause walk').parent('controls').mousePressed(toggleWalk);
  try {
    gan = await ml5DCGAN(MANIFEST_URL, FILES);
    const description = gan.manifest.description || 'DCGAN';
    document.title = `${description} · ml5 DCGAN`;
    select('#title').elt.textContent = description;
    for (let i = 0; i < GALLERY; i += 1) {
      gallery.push((await gan.generate()).image); // a random latent each time
    }
    const first = await gan.generate();
    [picture, walk.from, walk.to] = [first.image, first.latent, randomLatent()];
    setStatus(`latent dimension ${gan.latentDim}, ${gan.size}x${gan.size} pixels, ml5 `
      + `${ml5.version}, TF.js ${ml5.tf.version.tfjs} on ${ml5.tf.getBackend()}`);
    document.body.dataset.state = 'ready';
  } catch (error) {
    fail(error);
  }
}

function draw() {
  if (!picture) {
    background(235); // grey until the model has drawn
    return;
  }
  background(255);
  image(picture, 0, 0, SIDE, SIDE);
  gallery.forEach((thumb, i) => image(thumb, i * (THUMB + GAP), SIDE + GAP, THUMB, THUMB));
  if (busy || !(walk.running || walk.jump)) return;
  busy = true;
  nextPicture().then((next) => {
    picture = next;
    busy = false;
  }, fail);
}

// The next picture of the walk, or a fresh random one (kept in the gallery) after a jump.
async function nextPicture() {
  if (walk.jump) {
    walk.jump = false;
    const fresh = await gan.generate();
    gallery.unshift(fresh.image); // newest first
    gallery.pop();
    [walk.from, walk.to, walk.step] = [fresh.latent, randomLatent(), 0];
    return fresh.image;
  }
  walk.step += 1;
  if (walk.step > WALK_STEPS) {
    [walk.from, walk.to, walk.step] = [walk.to, randomLatent(), 1];
  }
  const t = (1 - cos(PI * walk.step / WALK_STEPS)) / 2; // ease in and out
  // Spherical interpolation keeps every point as long as a typical normal sample, where the
  // generator was trained (a straight line would cut through the rarely seen middle).
  return (await gan.generate(gan.interpolate(walk.from, walk.to, t))).image;
}

function toggleWalk() {
  walk.running = !walk.running;
  walkButton.html(walk.running ? 'pause walk' : 'resume walk');
}

// The generator was trained on standard normal latents: sample the same way.
function randomLatent() {
  return Array.from({ length: gan.latentDim }, () => randomGaussian());
}

function fail(error) {
  walk.running = false;
  setStatus(`could not run the model: ${error.message || error}`);
  document.body.dataset.state = 'error';
}

function setStatus(text) {
  select('#status').elt.textContent = text;
}
