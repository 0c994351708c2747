// Reference outputs of the original face-api 1.7.15 networks, run under Node
// with the tfjs CPU backend (tfjs-node would download a native library).
//
// Usage (from the repository root):
//   cargo run -p wz-face --example dump_rgb -- ../shared/faces/dev /tmp/faces-rgb
//   node tools/face-reference/reference.cjs /tmp/faces-rgb crates/wz-face/tests/fixtures/reference.json
// The raw pixels are decoded by the Rust `image` crate, so both sides see the
// same input. For the 150x150 tight crops (<identity>/<n>.png) it records the
// FaceRecognitionNet descriptor and FaceLandmark68Net landmarks of the whole
// crop; for every image it records TinyFaceDetector detections at 416 (face-api's
// default, key "faces") and at 224 (the production size, key "tiny224"), score
// threshold 0.5, and SsdMobilenetv1 detections (512, minConfidence 0.5, "ssd"). The SSD takes about
// 12 s per image on the CPU backend: the whole run takes about 20 minutes.
const fs = require('fs');
const path = require('path');
const faceapi = require('@vladmandic/face-api/dist/face-api.node-wasm.js');

const tf = faceapi.tf;
const MODELS = path.join(__dirname, '..', '..', 'models', 'face-api');

function weightMap(name) {
  const manifest = JSON.parse(fs.readFileSync(path.join(MODELS, `${name}-weights_manifest.json`)));
  const specs = manifest.flatMap((group) => group.weights);
  const bytes = Buffer.concat(manifest.flatMap((group) => group.paths.map((p) => fs.readFileSync(path.join(MODELS, p)))));
  return tf.io.decodeWeights(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength), specs);
}

// Raw RGB as written by `cargo run -p wz-face --example dump_rgb`:
// "<width> <height>\n" then width*height*3 bytes.
function rgbTensor(file) {
  const bytes = fs.readFileSync(file);
  const newline = bytes.indexOf(10);
  const [width, height] = bytes.subarray(0, newline).toString().split(' ').map(Number);
  const pixels = bytes.subarray(newline + 1);
  if (pixels.length !== width * height * 3) throw new Error(`${file}: bad raw image`);
  return tf.tensor3d(Float32Array.from(pixels), [height, width, 3]);
}

async function main() {
  const [facesDir, out] = process.argv.slice(2);
  await tf.setBackend('cpu');
  await tf.ready();
  const recognition = new faceapi.FaceRecognitionNet();
  await recognition.loadFromWeightMap(weightMap('face_recognition_model'));
  const detector = new faceapi.TinyFaceDetector();
  await detector.loadFromWeightMap(weightMap('tiny_face_detector_model'));
  const ssd = new faceapi.SsdMobilenetv1();
  await ssd.loadFromWeightMap(weightMap('ssd_mobilenetv1_model'));
  const landmarkNet = new faceapi.FaceLandmark68Net();
  await landmarkNet.loadFromWeightMap(weightMap('face_landmark_68_model'));
  const images = fs.readdirSync(facesDir, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .flatMap((d) => fs.readdirSync(path.join(facesDir, d.name)).filter((f) => f.endsWith('.png')).map((f) => `${d.name}/${f}`))
    .sort();
  const results = [];
  for (const image of images) {
    const input = rgbTensor(path.join(facesDir, image));
    const descriptor = await recognition.computeFaceDescriptor(input);
    const landmarks = await landmarkNet.detectLandmarks(input);
    input.dispose();
    results.push({ image, descriptor: Array.from(descriptor), landmarks: landmarks.positions.map((p) => [p.x, p.y]) });
  }
  const detections = [];
  const photos = fs.readdirSync(facesDir, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .flatMap((d) => fs.readdirSync(path.join(facesDir, d.name)).map((f) => `${d.name}/${f}`))
    .filter((f) => f.endsWith('.jpg') || f.endsWith('.png'))
    .sort();
  for (const image of photos) {
    const input = rgbTensor(path.join(facesDir, image));
    const found = await detector.locateFaces(input, new faceapi.TinyFaceDetectorOptions({ inputSize: 416, scoreThreshold: 0.5 }));
    const found224 = await detector.locateFaces(input, new faceapi.TinyFaceDetectorOptions({ inputSize: 224, scoreThreshold: 0.5 }));
    const ssdFound = await ssd.locateFaces(input, new faceapi.SsdMobilenetv1Options({ minConfidence: 0.5 }));
    input.dispose();
    const boxes = (list) => list.map((d) => ({ score: d.score, box: [d.box.x, d.box.y, d.box.width, d.box.height] }));
    detections.push({ image, faces: boxes(found), tiny224: boxes(found224), ssd: boxes(ssdFound) });
  }
  const document = {
    generator: 'tools/face-reference/reference.cjs',
    package: '@vladmandic/face-api@1.7.15',
    tfjs: `${tf.version_core} (${tf.getBackend()} backend)`,
    faces: results,
    detections,
  };
  fs.writeFileSync(out, `${JSON.stringify(document, null, 1)}\n`);
  console.log(`wrote ${results.length} descriptors to ${out}`);
}

main().catch((error) => { console.error(error); process.exit(1); });
