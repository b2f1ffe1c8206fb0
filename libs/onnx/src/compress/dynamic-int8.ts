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
  const prepared = rewriteWeightedProducts(model, {
    prepare(activation, g) {
      const aq: [string, string, string] = [
        g.names.fresh(`${activation}_quantized`),
        g.names.fresh(`${activation}_scale`),
        g.names.fresh(`${activation}_zero_point`),
      ];
      g.node({
        name: g.names.fresh(`${activation}/DynamicQuantizeLinear`),
        opType: 'DynamicQuantizeLinear',
        input: [activation],
        output: aq,
      });
      return aq;
    },
    emit(aq, w, output, bias, g) {
      const integer = g.op(
        'MatMulInteger',
        [aq[0], w.values, aq[2], w.zeroPoint],
        g.names.fresh(`${output}_quantized`),
      );
      const asFloat = g.op('Cast', [integer], g.names.fresh(`${output}_quantized_cast`), [
        intAttribute('to', FLOAT),
      ]);
      const scale = g.op('Mul', [aq[1], w.scales], g.names.fresh(`${output}_scale`));
      if (bias)
        g.op('Add', [g.op('Mul', [asFloat, scale], g.names.fresh(`${output}_unbiased`)), bias], output);
      else g.op('Mul', [asFloat, scale], output);
    },
  });
  if (prepared === 0)
    throw new OnnxCompressionError(
      'the model has no MatMul or Gemm with a constant 2-D float weight; int8-dynamic has nothing to quantise',
    );
  return encodeModel(model);
}

/** Where a rewrite writes: fresh names, nodes in order, new initializers. */
export interface GraphWriter {
  readonly names: GraphNames;
  /** Appends a one-output node; returns its output. */
  op(opType: string, input: string[], output: string, attribute?: onnx.IAttributeProto[]): string;
  node(node: onnx.INodeProto): void;
  add(...tensors: onnx.ITensorProto[]): void;
}

/** The initializer names of a product's per-column int8 weight (quantizePerColumn). */
export interface Int8WeightNames {
  /** The float initializer it replaces. */
  readonly source: string;
  readonly values: string;
  readonly scales: string;
  readonly zeroPoint: string;
}

/**
 * The rewrite int8-dynamic and int8-static share. Every MatMul/Gemm with a constant 2-D float
 * weight (weightedProduct) gets its weight as per-column int8 initializers; `prepare` turns each
 * activation into what the products read, once per activation (before its first product), and
 * `emit` writes the product so that it ends in the node's own output. Other nodes stay as they are,
 * and weights no node reads any more are dropped. Returns how many activations were prepared: 0
 * means there was nothing to quantise (the model is then unchanged).
 */
export function rewriteWeightedProducts<A>(
  model: onnx.ModelProto,
  rewrite: {
    prepare(activation: string, g: GraphWriter): A;
    emit(
      activation: A,
      weight: Int8WeightNames,
      output: string,
      bias: string | undefined,
      g: GraphWriter,
    ): void;
  },
): number {
  const graph = model.graph!;
  const weights = constantWeights(graph);
  const uses = new Map<string, number>();
  for (const node of graph.node ?? []) for (const i of node.input ?? []) uses.set(i, (uses.get(i) ?? 0) + 1);
  const nodes: onnx.INodeProto[] = [];
  const added: onnx.ITensorProto[] = [];
  const names = new GraphNames(graph);
  const g: GraphWriter = {
    names,
    op: (opType, input, output, attribute = []) => {
      nodes.push({ name: names.fresh(`${output}/${opType}`), opType, input, output: [output], attribute });
      return output;
    },
    node: (node) => void nodes.push(node),
    add: (...tensors) => void added.push(...tensors),
  };
  const dropped = new Set<string>();
  const prepared = new Map<string, A>();
  for (const node of graph.node ?? []) {
    const product = weightedProduct(node, weights);
    if (!product) {
      nodes.push(node);
      continue;
    }
    const { activation, weightName, k, n } = product;
    let a = prepared.get(activation);
    if (a === undefined) {
      a = rewrite.prepare(activation, g);
      prepared.set(activation, a);
    }
    const q = quantizePerColumn(product.weight, k, n);
    const w: Int8WeightNames = {
      source: weightName,
      values: names.fresh(`${weightName}_quantized`),
      scales: names.fresh(`${weightName}_scale`),
      zeroPoint: names.fresh(`${weightName}_zero_point`),
    };
    g.add(
      int8Tensor(w.values, [k, n], q.values),
      float32Tensor(w.scales, [n], q.scales),
      int8Tensor(w.zeroPoint, [n], new Int8Array(n)),
    );
    rewrite.emit(a, w, (node.output ?? [])[0] ?? '', product.bias, g);
    uses.set(weightName, (uses.get(weightName) ?? 0) - 1);
    if (uses.get(weightName) === 0) dropped.add(weightName);
  }
  if (prepared.size === 0) return 0;
  const kept = (graph.initializer ?? []).filter((t) => !dropped.has(t.name ?? ''));
  model.graph = onnx.GraphProto.create({ ...graph, node: nodes, initializer: [...kept, ...added] });
  return prepared.size;
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
