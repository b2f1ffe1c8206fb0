import { onnx } from '@aimass/tensors';
import { DEFAULT_LEAKY_RELU_ALPHA, type DenseLayer } from '../dense/dense-spec.js';
import { encodeOnnxModel } from '../onnx-model.js';
import { OnnxExportError } from '../onnx-errors.js';

/** Per-feature affine map folded into a graph: scaled = (raw - offset) * scale. */
export interface FeatureScaling {
  readonly offset: Float32Array;
  readonly scale: Float32Array;
}

const ACTIVATION_OPS = {
  linear: undefined,
  relu: 'Relu',
  sigmoid: 'Sigmoid',
  tanh: 'Tanh',
  softmax: 'Softmax',
  leaky_relu: 'LeakyRelu',
} as const;

/**
 * Builds one FP32 ONNX graph (opset 13) from dense stacks and a few elementwise ops. Every tensor
 * name it makes is prefixed, so stacks of several sub-networks (encoder, decoder) never collide.
 * The model-family exporters own the graph's shape; this class owns only the encoding.
 */
export class OnnxGraphBuilder {
  private readonly nodes: onnx.INodeProto[] = [];
  private readonly initializers: onnx.ITensorProto[] = [];
  private readonly inputs: onnx.IValueInfoProto[] = [];
  private readonly outputs: onnx.IValueInfoProto[] = [];
  private readonly names = new Set<string>();

  constructor(private readonly graphName: string) {}

  /** A graph input shaped [batch, features] (or [batch, ...dims]); returns its name. */
  input(name: string, features: number | readonly number[]): string {
    this.claim(name);
    this.inputs.push(valueInfo(name, dimsAfterBatch(features)));
    return name;
  }

  /**
   * Marks `tensor` as a graph output named `name` (an Identity node renames it), shaped [batch],
   * [batch, features] or [batch, ...dims]; FP32 unless `bool`.
   */
  output(tensor: string, name: string, features: number | readonly number[] | undefined, bool = false): void {
    this.op('Identity', [tensor], name);
    this.outputs.push(
      valueInfo(
        name,
        dimsAfterBatch(features),
        bool ? onnx.TensorProto.DataType.BOOL : onnx.TensorProto.DataType.FLOAT,
      ),
    );
  }

  /**
   * `is_anomaly` [batch] (BOOL): score > threshold, the threshold a float32 constant. The caller
   * names the output; the score tensor is shaped [batch].
   */
  flagAbove(score: string, threshold: number, name: string): void {
    const limit = this.constant(`${name}.threshold`, [], Float32Array.of(threshold));
    this.output(this.op('Greater', [score, limit], `${name}.greater`), name, undefined, true);
  }

  constant(name: string, dims: number[], values: Float32Array): string {
    this.claim(name);
    const raw = new Uint8Array(values.length * 4);
    const view = new DataView(raw.buffer);
    values.forEach((v, i) => view.setFloat32(i * 4, v, true));
    this.initializers.push({ name, dims, dataType: onnx.TensorProto.DataType.FLOAT, rawData: raw });
    return name;
  }

  /** An INT64 initializer: the shapes, axes and repeats that ops take as inputs since opset 13. */
  int64Constant(name: string, dims: number[], values: readonly number[]): string {
    this.claim(name);
    const raw = new Uint8Array(values.length * 8);
    const view = new DataView(raw.buffer);
    values.forEach((v, i) => view.setBigInt64(i * 8, BigInt(v), true));
    this.initializers.push({ name, dims, dataType: onnx.TensorProto.DataType.INT64, rawData: raw });
    return name;
  }

  op(opType: string, inputs: string[], output: string, attribute: onnx.IAttributeProto[] = []): string {
    this.claim(output);
    this.nodes.push({ name: `${output}.${opType}`, opType, input: inputs, output: [output], attribute });
    return output;
  }

  /** One Gemm (+ activation) per layer, from `x` whose width is `inputDim`; returns the last tensor. */
  dense(prefix: string, layers: readonly DenseLayer[], x: string, inputDim: number): string {
    let current = x;
    let width = inputDim;
    layers.forEach((layer, index) => {
      const outputs = layer.bias.length;
      if (layer.weights.length !== width * outputs) {
        throw new OnnxExportError(
          `${prefix} layer ${index}: weights hold ${layer.weights.length} values, ${width} x ${outputs} expected`,
        );
      }
      const w = this.constant(`${prefix}_${index}.weight`, [width, outputs], layer.weights);
      const b = this.constant(`${prefix}_${index}.bias`, [outputs], layer.bias);
      current = this.op('Gemm', [current, w, b], `${prefix}_${index}.gemm`);
      const op = ACTIVATION_OPS[layer.activation];
      if (op !== undefined)
        current = this.op(
          op,
          [current],
          `${prefix}_${index}.${layer.activation}`,
          activationAttributes(layer),
        );
      width = outputs;
    });
    return current;
  }

  /** raw → (raw - offset) * scale. */
  scaleIn(x: string, scaling: FeatureScaling): string {
    const offset = this.constant('scaling.offset', [scaling.offset.length], scaling.offset);
    const scale = this.constant('scaling.scale', [scaling.scale.length], scaling.scale);
    return this.op('Mul', [this.op('Sub', [x, offset], 'scaling.centred'), scale], 'scaling.scaled');
  }

  /** scaled → scaled / scale + offset. */
  scaleOut(x: string, scaling: FeatureScaling): string {
    const offset = this.constant('unscaling.offset', [scaling.offset.length], scaling.offset);
    const scale = this.constant('unscaling.scale', [scaling.scale.length], scaling.scale);
    return this.op('Add', [this.op('Div', [x, scale], 'unscaling.divided'), offset], 'unscaling.raw');
  }

  encode(docString: string): Uint8Array {
    return encodeOnnxModel(
      {
        name: this.graphName,
        node: this.nodes,
        initializer: this.initializers,
        input: this.inputs,
        output: this.outputs,
      },
      docString,
    );
  }

  private claim(name: string): void {
    if (this.names.has(name))
      throw new OnnxExportError(`tensor name '${name}' is used twice in ${this.graphName}`);
    this.names.add(name);
  }
}

function activationAttributes(layer: DenseLayer): onnx.IAttributeProto[] {
  const Type = onnx.AttributeProto.AttributeType;
  if (layer.activation === 'leaky_relu')
    return [{ name: 'alpha', type: Type.FLOAT, f: layer.alpha ?? DEFAULT_LEAKY_RELU_ALPHA }];
  if (layer.activation === 'softmax') return [{ name: 'axis', type: Type.INT, i: -1 }];
  return [];
}

function dimsAfterBatch(features: number | readonly number[] | undefined): number[] {
  if (features === undefined) return [];
  return typeof features === 'number' ? [features] : [...features];
}

/** Value info shaped [batch, ...rest] with a symbolic batch dimension (FP32 unless told). */
function valueInfo(
  name: string,
  rest: number[],
  elemType: number = onnx.TensorProto.DataType.FLOAT,
): onnx.IValueInfoProto {
  const dim: onnx.TensorShapeProto.IDimension[] = [
    { dimParam: 'batch' },
    ...rest.map((d) => ({ dimValue: d })),
  ];
  return { name, type: { tensorType: { elemType, shape: { dim } } } };
}
