// A p5.js 2.x + ml5.js 1.x sketch for a DCGAN bundle, written by ml5-dcgan-tools.
//
// ml5 1.x has no DCGAN of its own: ml5-dcgan.js, loaded by index.html, adds ml5DCGAN().
// Serve this folder over HTTP and open index.html (the model's files are fetched, which a page
// opened from file:// cannot do):   ml5-dcgan serve <this folder>
//
// The big picture walks smoothly through the latent space; "new image" jumps to a fresh random
// point and keeps the picture in the row below. p5.js 2.x has no preload(): setup() is async
// and draw() starts once it has finished. A labelled model (gan.labels) gets a picker: the class
// to draw, and a slider that mixes it with a second class.

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
const walk = { from: null, to: null, at: null, step: 0, running: true, jump: false };
// The class to draw, a second class, and how far to mix toward it (labelled models only).
const picker = { label: null, toward: null, mix: 0, changed: false };
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
    if (gan.labels.length) addLabelPicker();
    for (let i = 0; i < GALLERY; i += 1) {
      gallery.push((await gan.generate(undefined, labelOptions())).image); // a random latent
    }
    const first = await gan.generate(undefined, labelOptions());
    [picture, walk.from, walk.at, walk.to] = [first.image, first.latent, first.latent,
      randomLatent()];
    const classes = gan.labels.length ? `, ${gan.labels.length} classes` : '';
    setStatus(`latent dimension ${gan.latentDim}${classes}, ${gan.size}x${gan.size} pixels, ml5 `
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
  if (busy || !(walk.running || walk.jump || picker.changed)) return;
  busy = true;
  nextPicture().then((next) => {
    picture = next;
    busy = false;
  }, fail);
}

// The next picture of the walk, or a fresh random one (kept in the gallery) after a jump.
async function nextPicture() {
  if (picker.changed) { // the same point drawn as the newly picked class, and a new gallery
    picker.changed = false;
    for (let i = 0; i < GALLERY; i += 1) {
      gallery[i] = (await gan.generate(undefined, labelOptions())).image;
    }
    return (await gan.generate(walk.at, labelOptions())).image;
  }
  if (walk.jump) {
    walk.jump = false;
    const fresh = await gan.generate(undefined, labelOptions());
    gallery.unshift(fresh.image); // newest first
    gallery.pop();
    [walk.from, walk.at, walk.to, walk.step] = [fresh.latent, fresh.latent, randomLatent(), 0];
    return fresh.image;
  }
  walk.step += 1;
  if (walk.step > WALK_STEPS) {
    [walk.from, walk.to, walk.step] = [walk.to, randomLatent(), 1];
  }
  const t = (1 - cos(PI * walk.step / WALK_STEPS)) / 2; // ease in and out
  // Spherical interpolation keeps every point as long as a typical normal sample, where the
  // generator was trained (a straight line would cut through the rarely seen middle).
  walk.at = gan.interpolate(walk.from, walk.to, t);
  return (await gan.generate(walk.at, labelOptions())).image;
}

// What generate() gets: the picked class, or its mix with the second class
// ({ label: { cats: 0.7, dogs: 0.3 } }); nothing for a model without labels.
function labelOptions() {
  const { label, toward, mix } = picker;
  if (!label) return {};
  if (!mix || toward === label) return { label };
  return { label: { [label]: 1 - mix, [toward]: mix } };
}

// A row under the buttons: class [select], mixed with [select] by [slider]. Any change redraws.
function addLabelPicker() {
  const row = createDiv('class ').parent('controls').id('labels');
  const pick = createSelect().parent(row).id('label');
  createSpan(' mixed with ').parent(row);
  const toward = createSelect().parent(row).id('toward');
  const slider = createSlider(0, 1, 0, 0.05).parent(row).id('mix');
  gan.labels.forEach((name) => {
    pick.option(name);
    toward.option(name);
  });
  const first = Math.floor(Math.random() * gan.labels.length); // start with a random class
  pick.selected(gan.labels[first]);
  toward.selected(gan.labels[(first + 1) % gan.labels.length]);
  const update = () => {
    Object.assign(picker, { label: pick.value(), toward: toward.value(),
      mix: Number(slider.value()), changed: true });
  };
  update();
  picker.changed = false;
  pick.changed(update);
  toward.changed(update);
  slider.input(update);
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
