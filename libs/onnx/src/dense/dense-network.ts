import { onnx } from '@aimass/tensors';
import {
  type DenseLayer,
  type DenseNetworkSpec,
  DEFAULT_LEAKY_RELU_ALPHA,
  findDenseSpecProblem,
} from './dense-spec.js';
import { OnnxExportError } from '../onnx-errors.js';
import { encodeOnnxModel } from '../onnx-model.js';

// The one ONNX writer for dense networks: every family the trainer exports (AE, VAE decoder,
// GAN generator) is a stack of dense layers once its weights leave tfjs.

/** ONNX op type for each activation; linear needs no node. */
const ACTIVATION_OPS = {
  linear: undefined,
  relu: 'Relu',
  sigmoid: 'Sigmoid',
  tanh: 'Tanh',
  softmax: 'Softmax',
  leaky_relu: 'LeakyRelu',
} as const;

/**
 * Writes the spec as a serialized ONNX ModelProto: one Gemm per layer plus its activation node,
 * FP32 weights as little-endian raw_data initializers, input and output shaped [batch, dim].
 * Throws OnnxExportError naming the first problem when the spec is inconsistent.
 */
export function exportDenseNetwork(spec: DenseNetworkSpec): Uint8Array {
  const problem = findDenseSpecProblem(spec);
  if (problem !== undefined) throw new OnnxExportError(`cannot export dense network: ${problem}`);

  const nodes: onnx.INodeProto[] = [];
  const initializers: onnx.ITensorProto[] = [];
  const internalNames = new Set<string>();
  let current = spec.inputName;
  let inputs = spec.inputDim;

  for (const [index, layer] of spec.layers.entries()) {
    const last = index === spec.layers.length - 1;
    const prefix = `dense_${index}`;
    const outputs = layer.bias.length;
    const weightName = `${prefix}.weight`;
    const biasName = `${prefix}.bias`;
    initializers.push(floatInitializer(weightName, [inputs, outputs], layer.weights));
    initializers.push(floatInitializer(biasName, [outputs], layer.bias));

    const op = ACTIVATION_OPS[layer.activation];
    const gemmOut = last && op === undefined ? spec.outputName : `${prefix}.gemm`;
    nodes.push({
      name: `${prefix}.Gemm`,
      opType: 'Gemm',
      input: [current, weightName, biasName],
      output: [gemmOut],
    });
    current = gemmOut;
    if (op !== undefined) {
      const activationOut = last ? spec.outputName : `${prefix}.out`;
      nodes.push({
        name: `${prefix}.${op}`,
        opType: op,
        input: [current],
        output: [activationOut],
        attribute: activationAttributes(layer),
      });
      current = activationOut;
    }
    for (const name of [weightName, biasName, `${prefix}.gemm`, `${prefix}.out`]) internalNames.add(name);
    inputs = outputs;
  }

  for (const key of ['inputName', 'outputName'] as const) {
    if (internalNames.has(spec[key])) {
      throw new OnnxExportError(
        `cannot export dense network: ${key} '${spec[key]}' collides with an internal tensor name; ` +
          `avoid names of the form dense_<n>.weight|bias|gemm|out`,
      );
    }
  }

  return encodeOnnxModel(
    {
      name: 'aimass_dense',
      node: nodes,
      initializer: initializers,
      input: [floatValueInfo(spec.inputName, spec.batch, spec.inputDim)],
      output: [floatValueInfo(spec.outputName, spec.batch, inputs)],
    },
    spec.docString ?? '',
  );
}

function activationAttributes(layer: DenseLayer): onnx.IAttributeProto[] {
  const Type = onnx.AttributeProto.AttributeType;
  switch (layer.activation) {
    case 'leaky_relu':
      return [{ name: 'alpha', type: Type.FLOAT, f: layer.alpha ?? DEFAULT_LEAKY_RELU_ALPHA }];
    case 'softmax':
      // Opset 13 Softmax normalises along one axis; the feature axis is the last one.
      return [{ name: 'axis', type: Type.INT, i: -1 }];
    default:
      return [];
  }
}

function floatInitializer(name: string, dims: number[], values: Float32Array): onnx.ITensorProto {
  // raw_data is little-endian by definition, whatever the host's byte order.
  const raw = new Uint8Array(values.length * 4);
  const view = new DataView(raw.buffer);
  values.forEach((v, i) => view.setFloat32(i * 4, v, true));
  return { name, dims, dataType: onnx.TensorProto.DataType.FLOAT, rawData: raw };
}

function floatValueInfo(name: string, batch: 'dynamic' | number, features: number): onnx.IValueInfoProto {
  const batchDim: onnx.TensorShapeProto.IDimension =
    batch === 'dynamic' ? { dimParam: 'batch' } : { dimValue: batch };
  return {
    name,
    type: {
      tensorType: {
        elemType: onnx.TensorProto.DataType.FLOAT,
        shape: { dim: [batchDim, { dimValue: features }] },
      },
    },
  };
}
