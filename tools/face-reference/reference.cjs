// Reference outputs of the original face-api 1.7.15 networks, run under Node
// with the tfjs CPU backend (tfjs-node would download a native library).
//
// Usage: node reference.cjs FACES_DIR OUT.json
// Reads every <identity>/<n>.png of FACES_DIR (150x150 tight crops), feeds the
// exact decoded pixels (grey replicated to RGB) to FaceRecognitionNet and
// FaceLandmark68Net, and
// writes the 128-d descriptors and the 68 landmarks. PNG decoding is lossless, so the Rust side
// decodes the same pixels with the `image` crate.
const fs = require('fs');
const path = require('path');
const { PNG } = require('pngjs');
const faceapi = require('@vladmandic/face-api/dist/face-api.node-wasm.js');

const tf = faceapi.tf;
const MODELS = path.join(__dirname, '..', '..', 'models', 'face-api');

function weightMap(name) {
  const manifest = JSON.parse(fs.readFileSync(path.join(MODELS, `${name}-weights_manifest.json`)));
  const specs = manifest.flatMap((group) => group.weights);
  const bytes = Buffer.concat(manifest.flatMap((group) => group.paths.map((p) => fs.readFileSync(path.join(MODELS, p)))));
  return tf.io.decodeWeights(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength), specs);
}

function rgbTensor(file) {
  const png = PNG.sync.read(fs.readFileSync(file));
  const rgb = new Float32Array(png.width * png.height * 3);
  for (let i = 0; i < png.width * png.height; i += 1) {
    for (let c = 0; c < 3; c += 1) rgb[i * 3 + c] = png.data[i * 4 + c];
  }
  return tf.tensor3d(rgb, [png.height, png.width, 3]);
}

async function main() {
  const [facesDir, out] = process.argv.slice(2);
  await tf.setBackend('cpu');
  await tf.ready();
  const recognition = new faceapi.FaceRecognitionNet();
  await recognition.loadFromWeightMap(weightMap('face_recognition_model'));
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
  const document = {
    generator: 'tools/face-reference/reference.cjs',
    package: '@vladmandic/face-api@1.7.15',
    tfjs: `${tf.version_core} (${tf.getBackend()} backend)`,
    faces: results,
  };
  fs.writeFileSync(out, `${JSON.stringify(document, null, 1)}\n`);
  console.log(`wrote ${results.length} descriptors to ${out}`);
}

main().catch((error) => { console.error(error); process.exit(1); });
