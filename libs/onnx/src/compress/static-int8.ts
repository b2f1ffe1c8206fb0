import { onnx } from '@aimass/tensors';
import { OnnxCompressionError } from '../onnx-errors.js';
import { constantWeights, rewriteWeightedProducts, weightedProduct } from './dynamic-int8.js';
import {
  decodeModel,
  defaultOpset,
  encodeModel,
  float32Tensor,
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
  const prepared = rewriteWeightedProducts(model, {
    prepare(activation, g) {
      const range = ranges.get(activation);
      if (!range || !Number.isFinite(range.min) || !Number.isFinite(range.max))
        throw new OnnxCompressionError(`no finite calibration range for activation "${activation}"`);
      const { scale, zeroPoint } = uint8Quantization(range);
      const s = g.names.fresh(`${activation}_scale`);
      const z = g.names.fresh(`${activation}_zero_point`);
      g.add(float32Tensor(s, [], Float32Array.of(scale)), uint8Tensor(z, [], Uint8Array.of(zeroPoint)));
      const q = g.op('QuantizeLinear', [activation, s, z], g.names.fresh(`${activation}_quantized`));
      return g.op('DequantizeLinear', [q, s, z], g.names.fresh(`${activation}_dequantized`));
    },
    emit(a, w, output, bias, g) {
      const weight = g.op(
        'DequantizeLinear',
        [w.values, w.scales, w.zeroPoint],
        g.names.fresh(`${w.source}_dequantized`),
        [intAttribute('axis', 1)],
      );
      if (bias) g.op('Add', [g.op('MatMul', [a, weight], g.names.fresh(`${output}_unbiased`)), bias], output);
      else g.op('MatMul', [a, weight], output);
    },
  });
  if (prepared === 0) throw nothingToQuantise();
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
