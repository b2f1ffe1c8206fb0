import { onnx } from '@aimass/tensors';
import { OnnxCompressionError } from '../onnx-errors.js';
import { constantWeights, quantizePerColumn, weightedProduct } from './dynamic-int8.js';
import {
  decodeModel,
  defaultOpset,
  encodeModel,
  float32Tensor,
  GraphNames,
  int8Tensor,
  intAttribute,
  uint8Tensor,
} from './graph-tensors.js';

const { FLOAT } = onnx.TensorProto.DataType;

/** The range an activation took on the calibration rows. */
export interface ActivationRange {
  readonly min: number;
  readonly max: number;
}

/**
 * The model with every activation that feeds a quantisable MatMul/Gemm added as a graph output,
 * so one run on calibration rows gives the ranges quantizeStaticInt8 needs; `activations` names them.
 */
export function staticCalibrationModel(bytes: Uint8Array): { model: Uint8Array; activations: string[] } {
  const model = requireOpset13(bytes);
  const graph = model.graph!;
  const weights = constantWeights(graph);
  const outputs = new Set((graph.output ?? []).map((o) => o.name ?? ''));
  const activations = [
    ...new Set((graph.node ?? []).flatMap((n) => weightedProduct(n, weights)?.activation ?? [])),
  ];
  if (activations.length === 0) throw nothingToQuantise();
  const added = activations
    .filter((a) => !outputs.has(a))
    .map((name) => ({ name, type: { tensorType: { elemType: FLOAT } } }));
  model.graph = onnx.GraphProto.create({ ...graph, output: [...(graph.output ?? []), ...added] });
  return { model: encodeModel(model), activations };
}

/**
 * Static int8 in QDQ form: each MatMul/Gemm with a constant float weight reads
 * DequantizeLinear(QuantizeLinear(A)) with A's uint8 scale and zero point fixed from its
 * calibration range, and DequantizeLinear(W_int8) with one scale per output column (7-bit, as in
 * dynamic int8); Gemm becomes MatMul + Add of its bias. onnxruntime fuses the pattern into integer
 * kernels. Every other op and the public signature are unchanged.
 */
export function quantizeStaticInt8(
  bytes: Uint8Array,
  ranges: ReadonlyMap<string, ActivationRange>,
): Uint8Array {
  const model = requireOpset13(bytes);
  const graph = model.graph!;
  const names = new GraphNames(graph);
  const weights = constantWeights(graph);
  const uses = new Map<string, number>();
  for (const node of graph.node ?? []) for (const i of node.input ?? []) uses.set(i, (uses.get(i) ?? 0) + 1);
  const nodes: onnx.INodeProto[] = [];
  const added: onnx.ITensorProto[] = [];
  const dropped = new Set<string>();
  const dequantized = new Map<string, string>();
  const op = (opType: string, input: string[], output: string, attribute: onnx.IAttributeProto[] = []) => {
    nodes.push({ name: names.fresh(`${output}/${opType}`), opType, input, output: [output], attribute });
    return output;
  };
  for (const node of graph.node ?? []) {
    const product = weightedProduct(node, weights);
    if (!product) {
      nodes.push(node);
      continue;
    }
    const { activation, weightName, k, n } = product;
    let a = dequantized.get(activation);
    if (!a) {
      const range = ranges.get(activation);
      if (!range || !Number.isFinite(range.min) || !Number.isFinite(range.max))
        throw new OnnxCompressionError(`no finite calibration range for activation "${activation}"`);
      const { scale, zeroPoint } = uint8Quantization(range);
      const s = names.fresh(`${activation}_scale`);
      const z = names.fresh(`${activation}_zero_point`);
      added.push(float32Tensor(s, [], Float32Array.of(scale)), uint8Tensor(z, [], Uint8Array.of(zeroPoint)));
      const q = op('QuantizeLinear', [activation, s, z], names.fresh(`${activation}_quantized`));
      a = op('DequantizeLinear', [q, s, z], names.fresh(`${activation}_dequantized`));
      dequantized.set(activation, a);
    }
    const quantized = quantizePerColumn(product.weight, k, n);
    const wq = names.fresh(`${weightName}_quantized`);
    const ws = names.fresh(`${weightName}_scale`);
    const wz = names.fresh(`${weightName}_zero_point`);
    added.push(
      int8Tensor(wq, [k, n], quantized.values),
      float32Tensor(ws, [n], quantized.scales),
      int8Tensor(wz, [n], new Int8Array(n)),
    );
    const w = op('DequantizeLinear', [wq, ws, wz], names.fresh(`${weightName}_dequantized`), [
      intAttribute('axis', 1),
    ]);
    const output = (node.output ?? [])[0] ?? '';
    if (product.bias)
      op('Add', [op('MatMul', [a, w], names.fresh(`${output}_unbiased`)), product.bias], output);
    else op('MatMul', [a, w], output);
    uses.set(weightName, (uses.get(weightName) ?? 0) - 1);
    if (uses.get(weightName) === 0) dropped.add(weightName);
  }
  if (dequantized.size === 0) throw nothingToQuantise();
  const kept = (graph.initializer ?? []).filter((t) => !dropped.has(t.name ?? ''));
  model.graph = onnx.GraphProto.create({ ...graph, node: nodes, initializer: [...kept, ...added] });
  return encodeModel(model);
}

/** Asymmetric uint8 over the range widened to hold 0 (so zero stays exact, as padding needs). */
export function uint8Quantization(range: ActivationRange): { scale: number; zeroPoint: number } {
  const min = Math.min(0, range.min);
  const max = Math.max(0, range.max);
  const scale = max > min ? (max - min) / 255 : 1;
  return { scale, zeroPoint: Math.max(0, Math.min(255, Math.round(-min / scale))) };
}

function requireOpset13(bytes: Uint8Array): onnx.ModelProto {
  const model = decodeModel(bytes);
  const opset = defaultOpset(model);
  if (opset < 13)
    throw new OnnxCompressionError(
      `int8-static needs opset 13 or later (per-channel DequantizeLinear); the model imports opset ${opset}`,
    );
  return model;
}

function nothingToQuantise(): OnnxCompressionError {
  return new OnnxCompressionError(
    'the model has no MatMul or Gemm with a constant 2-D float weight; int8 has nothing to quantise',
  );
}
