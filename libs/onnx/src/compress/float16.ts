import { onnx } from '@aimass/tensors';
import {
  decodeModel,
  dimsOf,
  encodeModel,
  float16Tensor,
  float32Values,
  GraphNames,
  intAttribute,
  namesReadBySubgraphs,
} from './graph-tensors.js';

const { FLOAT, FLOAT16 } = onnx.TensorProto.DataType;

/**
 * Ops that run in float16, with the input positions that carry the float tensor (the others, such
 * as Reshape's shape, keep their type). Every one has a CPU kernel in onnxruntime-node or runs
 * there (float16.spec.ts runs each). Reductions, Exp, Log, Pow and Softmax stay float32 on purpose:
 * sums of hundreds of squared errors and exponentials overflow or lose most digits in float16.
 */
export const FLOAT16_OPS: ReadonlyMap<string, readonly number[] | 'all'> = new Map<
  string,
  readonly number[] | 'all'
>([
  ...['Add', 'Sub', 'Mul', 'Div', 'MatMul', 'Max', 'Min'].map((op) => [op, [0, 1]] as const),
  ['Gemm', [0, 1, 2]],
  ['Clip', [0, 1, 2]],
  ['Sum', 'all'],
  ['Concat', 'all'],
  ...[
    'Relu',
    'Sigmoid',
    'Tanh',
    'LeakyRelu',
    'Elu',
    'Softplus',
    'HardSigmoid',
    'Abs',
    'Neg',
    'Sqrt',
    'Reciprocal',
    'Erf',
    'Identity',
    'Transpose',
    'Flatten',
    'Reshape',
    'Squeeze',
    'Unsqueeze',
  ].map((op) => [op, [0]] as const),
]);

/**
 * Float16 copy of an ONNX model: float initializers become FLOAT16 and the ops of FLOAT16_OPS run
 * in float16; every other op keeps float32, with a Cast in front of each float16 tensor it reads.
 * The public signature does not change: float32 graph inputs are cast on the way in and float32
 * outputs on the way out. Initializers a subgraph reads (If/Loop bodies) stay float32, since the
 * body's ops were typed against them.
 */
export function convertToFloat16(bytes: Uint8Array): Uint8Array {
  const model = decodeModel(bytes);
  const graph = model.graph!;
  const names = new GraphNames(graph);
  const types = new Map<string, number>();
  const half = new Set<string>();
  const overridable = new Set((graph.input ?? []).map((i) => i.name ?? ''));
  const keepFloat32 = namesReadBySubgraphs(graph);
  for (const input of graph.input ?? []) types.set(input.name ?? '', input.type?.tensorType?.elemType ?? 0);

  const initializers = (graph.initializer ?? []).map((tensor) => {
    const name = tensor.name ?? '';
    const values = float32Values(tensor);
    types.set(name, tensor.dataType ?? 0);
    if (!values || overridable.has(name) || keepFloat32.has(name)) return tensor;
    half.add(name);
    types.set(name, FLOAT16);
    return float16Tensor(name, dimsOf(tensor), values);
  });

  const nodes: onnx.INodeProto[] = [];
  const casts = new Map<string, string>();
  const castTo = (tensor: string, to: number): string => {
    if ((to === FLOAT16) === half.has(tensor)) return tensor;
    const key = `${tensor}\u0000${to}`;
    let out = casts.get(key);
    if (!out) {
      out = names.fresh(`${tensor}/${to === FLOAT16 ? 'fp16' : 'fp32'}`);
      nodes.push({
        name: names.fresh(`${out}/Cast`),
        opType: 'Cast',
        input: [tensor],
        output: [out],
        attribute: [intAttribute('to', to)],
      });
      casts.set(key, out);
      if (to === FLOAT16) half.add(out);
    }
    return out;
  };

  const outputs = new Set((graph.output ?? []).map((o) => o.name ?? ''));
  const renamed = new Map<string, string>();
  for (const node of graph.node ?? []) {
    const inputs = (node.input ?? []).map((i) => renamed.get(i) ?? i);
    const floatInputs = float16Positions(node, inputs);
    const isFloat = (i: string): boolean => half.has(i) || types.get(i) === FLOAT || types.get(i) === FLOAT16;
    if (floatInputs && floatInputs.every((p) => isFloat(inputs[p]))) {
      for (const p of floatInputs) inputs[p] = castTo(inputs[p], FLOAT16);
      const output = (node.output ?? [])[0] ?? '';
      let produced = output;
      if (outputs.has(output)) {
        produced = names.fresh(`${output}/fp16`);
        renamed.set(output, produced);
      }
      half.add(produced);
      types.set(produced, FLOAT16);
      nodes.push({ ...node, input: inputs, output: [produced, ...(node.output ?? []).slice(1)] });
      continue;
    }
    nodes.push({ ...node, input: inputs.map((i) => (half.has(i) ? castTo(i, FLOAT) : i)) });
    for (const [index, output] of (node.output ?? []).entries())
      types.set(output, outputType(node, index, half.has(inputs[0]) ? FLOAT : (types.get(inputs[0]) ?? 0)));
  }
  for (const [output, produced] of renamed)
    nodes.push({
      name: names.fresh(`${output}/Cast`),
      opType: 'Cast',
      input: [produced],
      output: [output],
      attribute: [intAttribute('to', FLOAT)],
    });

  // value_info describes the float32 graph; onnxruntime would reject it for the retyped tensors.
  model.graph = onnx.GraphProto.create({ ...graph, node: nodes, initializer: initializers, valueInfo: [] });
  return encodeModel(model);
}

/** The positions of the node's float inputs when the node may run in float16; undefined when not. */
function float16Positions(node: onnx.INodeProto, inputs: string[]): number[] | undefined {
  if (node.domain && node.domain !== 'ai.onnx') return undefined;
  const spec = FLOAT16_OPS.get(node.opType ?? '');
  if (!spec) return undefined;
  const positions = spec === 'all' ? inputs.map((_, p) => p) : spec;
  // Optional inputs left empty ('') are skipped.
  return positions.filter((p) => p < inputs.length && inputs[p] !== '');
}

const FLOAT_PRESERVING = new Set([
  ...FLOAT16_OPS.keys(),
  ...['ReduceMean', 'ReduceSum', 'ReduceMax', 'Exp', 'Log', 'Pow', 'Softmax', 'LogSoftmax'],
]);

/**
 * The element type of a float32-mode node's output where it can be known without shape inference,
 * 0 otherwise (an unknown type never runs in float16). `firstInput` is the type its input 0 has.
 */
function outputType(node: onnx.INodeProto, index: number, firstInput: number): number {
  const attribute = (name: string) => (node.attribute ?? []).find((a) => a.name === name);
  if (node.opType === 'Cast') return Number(String(attribute('to')?.i ?? 0));
  if (node.opType === 'Constant') return attribute('value')?.t?.dataType ?? 0;
  return index === 0 && FLOAT_PRESERVING.has(node.opType ?? '') ? firstInput : 0;
}
