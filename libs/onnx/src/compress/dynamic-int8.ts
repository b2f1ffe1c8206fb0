import { onnx } from '@aimass/tensors';
import { OnnxCompressionError } from '../onnx-errors.js';
import {
  attributeFloat,
  attributeInt,
  decodeModel,
  defaultOpset,
  dimsOf,
  encodeModel,
  float32Tensor,
  float32Values,
  GraphNames,
  int8Tensor,
  intAttribute,
  namesReadBySubgraphs,
} from './graph-tensors.js';

/**
 * Weights use 7 bits ([-63, 63]), onnxruntime's `reduce_range`: on x86 CPUs without VNNI its
 * u8·s8 kernel adds pairs of products in int16, which saturates with full-range int8 weights
 * (measured here on AVX2: 9.5% mean error on one 64×32 MatMul at 8 bits, 0.8% at 7 bits).
 */
export const LEVELS = 63;
const { FLOAT } = onnx.TensorProto.DataType;

/** A weight matrix [K, N] as symmetric int8 with one scale per output column (zero points 0). */
export interface QuantizedWeight {
  readonly values: Int8Array;
  readonly scales: Float32Array;
}

/** Symmetric per-column int8 of a row-major [rows, cols] matrix: q = round(w / scale), scale = max|w| / 63. */
export function quantizePerColumn(weights: Float32Array, rows: number, cols: number): QuantizedWeight {
  const scales = new Float32Array(cols);
  for (let r = 0; r < rows; r++)
    for (let c = 0; c < cols; c++) scales[c] = Math.max(scales[c], Math.abs(weights[r * cols + c]));
  for (let c = 0; c < cols; c++) scales[c] = scales[c] > 0 ? scales[c] / LEVELS : 1;
  const values = new Int8Array(rows * cols);
  for (let r = 0; r < rows; r++)
    for (let c = 0; c < cols; c++)
      values[r * cols + c] = Math.max(
        -LEVELS,
        Math.min(LEVELS, Math.round(weights[r * cols + c] / scales[c])),
      );
  return { values, scales };
}

/** A MatMul or Gemm whose weight is a constant 2-D float matrix, as [K, N] (Gemm's transB undone). */
export interface WeightedProduct {
  readonly activation: string;
  readonly weightName: string;
  readonly weight: Float32Array;
  readonly k: number;
  readonly n: number;
  readonly bias?: string;
}

/**
 * Dynamic int8 copy of an ONNX model, in the operator form onnxruntime's own quantize_dynamic
 * writes: each MatMul/Gemm with a constant float weight becomes
 * DynamicQuantizeLinear(A) → MatMulInteger(A_q, W_int8) → Cast → Mul(A_scale · W_scale) [→ Add bias],
 * which onnxruntime fuses into one DynamicQuantizeMatMul kernel. Weights are int8 (7-bit range, see LEVELS),
 * symmetric, one scale per output column; activations are quantised to uint8 per call, per tensor. Every other op
 * and the public signature are unchanged.
 */
export function quantizeDynamicInt8(bytes: Uint8Array): Uint8Array {
  const model = decodeModel(bytes);
  const opset = defaultOpset(model);
  if (opset < 11)
    throw new OnnxCompressionError(
      `int8-dynamic needs opset 11 or later (DynamicQuantizeLinear); the model imports opset ${opset}`,
    );
  const graph = model.graph!;
  const names = new GraphNames(graph);
  const weights = constantWeights(graph);
  const uses = new Map<string, number>();
  for (const node of graph.node ?? []) for (const i of node.input ?? []) uses.set(i, (uses.get(i) ?? 0) + 1);

  const nodes: onnx.INodeProto[] = [];
  const added: onnx.ITensorProto[] = [];
  const dropped = new Set<string>();
  const quantizedActivations = new Map<string, [string, string, string]>();
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
    let aq = quantizedActivations.get(activation);
    if (!aq) {
      aq = [
        names.fresh(`${activation}_quantized`),
        names.fresh(`${activation}_scale`),
        names.fresh(`${activation}_zero_point`),
      ];
      nodes.push({
        name: names.fresh(`${activation}/DynamicQuantizeLinear`),
        opType: 'DynamicQuantizeLinear',
        input: [activation],
        output: aq,
      });
      quantizedActivations.set(activation, aq);
    }
    const q = quantizePerColumn(product.weight, k, n);
    const wq = names.fresh(`${weightName}_quantized`);
    const ws = names.fresh(`${weightName}_scale`);
    const wz = names.fresh(`${weightName}_zero_point`);
    added.push(
      int8Tensor(wq, [k, n], q.values),
      float32Tensor(ws, [n], q.scales),
      int8Tensor(wz, [n], new Int8Array(n)),
    );
    const output = (node.output ?? [])[0] ?? '';
    const integer = op('MatMulInteger', [aq[0], wq, aq[2], wz], names.fresh(`${output}_quantized`));
    const asFloat = op('Cast', [integer], names.fresh(`${output}_quantized_cast`), [
      intAttribute('to', FLOAT),
    ]);
    const scale = op('Mul', [aq[1], ws], names.fresh(`${output}_scale`));
    if (product.bias)
      op('Add', [op('Mul', [asFloat, scale], names.fresh(`${output}_unbiased`)), product.bias], output);
    else op('Mul', [asFloat, scale], output);
    uses.set(weightName, (uses.get(weightName) ?? 0) - 1);
    if (uses.get(weightName) === 0) dropped.add(weightName);
  }
  if (quantizedActivations.size === 0)
    throw new OnnxCompressionError(
      'the model has no MatMul or Gemm with a constant 2-D float weight; int8-dynamic has nothing to quantise',
    );
  const kept = (graph.initializer ?? []).filter((t) => !dropped.has(t.name ?? ''));
  model.graph = onnx.GraphProto.create({ ...graph, node: nodes, initializer: [...kept, ...added] });
  return encodeModel(model);
}

/** Float initializers a caller cannot override (not graph inputs) and no subgraph reads. */
export function constantWeights(graph: onnx.IGraphProto): Map<string, onnx.ITensorProto> {
  const inputs = new Set((graph.input ?? []).map((i) => i.name ?? ''));
  const inSubgraphs = namesReadBySubgraphs(graph);
  return new Map(
    (graph.initializer ?? [])
      .filter((t) => t.dataType === FLOAT && dimsOf(t).length === 2)
      .filter((t) => !inputs.has(t.name ?? '') && !inSubgraphs.has(t.name ?? ''))
      .map((t) => [t.name ?? '', t]),
  );
}

export function weightedProduct(
  node: onnx.INodeProto,
  weights: Map<string, onnx.ITensorProto>,
): WeightedProduct | undefined {
  if (node.domain && node.domain !== 'ai.onnx') return undefined;
  const [activation, weightName, bias] = node.input ?? [];
  const tensor = weights.get(weightName ?? '');
  if (!activation || !weightName || !tensor) return undefined;
  const [rows, cols] = dimsOf(tensor);
  const values = float32Values(tensor)!;
  if (node.opType === 'MatMul') return { activation, weightName, weight: values, k: rows, n: cols };
  if (node.opType !== 'Gemm') return undefined;
  // Only the plain dense layer: A·op(B) + C; other alphas, betas or a transposed A stay float.
  if (attributeInt(node, 'transA', 0) !== 0) return undefined;
  if (attributeFloat(node, 'alpha', 1) !== 1 || (bias && attributeFloat(node, 'beta', 1) !== 1))
    return undefined;
  if (attributeInt(node, 'transB', 0) === 0)
    return { activation, weightName, weight: values, k: rows, n: cols, ...(bias ? { bias } : {}) };
  const transposed = new Float32Array(values.length);
  for (let r = 0; r < rows; r++)
    for (let c = 0; c < cols; c++) transposed[c * rows + r] = values[r * cols + c];
  return { activation, weightName, weight: transposed, k: cols, n: rows, ...(bias ? { bias } : {}) };
}
