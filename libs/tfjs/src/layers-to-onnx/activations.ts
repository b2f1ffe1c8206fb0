import type { OnnxGraphBuilder } from '@aimass/onnx';
import type { KerasLayer } from './keras-topology.js';
import { TfjsConversionError } from './conversion-error.js';
import { float, int, type FlowTensor } from './tensor-flow.js';

/** The activation names tfjs writes (camelCase) and Keras writes (snake_case) that convert. */
export const CONVERTIBLE_ACTIVATIONS = [
  'linear',
  'relu',
  'relu6',
  'sigmoid',
  'hard_sigmoid',
  'tanh',
  'softmax',
  'elu',
  'selu',
  'softplus',
  'softsign',
  'swish',
  'mish',
] as const;

const ALIASES: Record<string, string> = { hardSigmoid: 'hard_sigmoid' };

/**
 * `x` through the named activation; elementwise ones keep the layout, softmax runs over the channel
 * axis wherever the layout put it. Unknown names are refused with the layer that uses them.
 */
export function applyActivation(
  b: OnnxGraphBuilder,
  activation: unknown,
  x: FlowTensor,
  layer: KerasLayer,
): FlowTensor {
  const name = activation === null || activation === undefined ? 'linear' : String(activation);
  const kind = ALIASES[name] ?? name;
  const out = (tensor: string): FlowTensor => ({ ...x, name: tensor });
  const at = `${layer.name}.${kind}`;
  switch (kind) {
    case 'linear':
      return x;
    case 'relu':
      return out(b.op('Relu', [x.name], at));
    case 'relu6':
      return out(clip(b, x.name, 0, 6, at));
    case 'sigmoid':
      return out(b.op('Sigmoid', [x.name], at));
    case 'hard_sigmoid':
      // tfjs and Keras: clip(0.2x + 0.5, 0, 1), ONNX HardSigmoid's defaults.
      return out(b.op('HardSigmoid', [x.name], at, [float('alpha', 0.2), float('beta', 0.5)]));
    case 'tanh':
      return out(b.op('Tanh', [x.name], at));
    case 'softmax':
      return out(softmax(b, x, x.layout === 'channels_first' ? 1 : -1, at));
    case 'elu':
      return out(b.op('Elu', [x.name], at, [float('alpha', 1)]));
    case 'selu':
      return out(b.op('Selu', [x.name], at));
    case 'softplus':
      return out(b.op('Softplus', [x.name], at));
    case 'softsign':
      return out(b.op('Softsign', [x.name], at));
    case 'swish':
      return out(b.op('Mul', [x.name, b.op('Sigmoid', [x.name], `${at}.sigmoid`)], at));
    case 'mish': {
      const softplus = b.op('Softplus', [x.name], `${at}.softplus`);
      return out(b.op('Mul', [x.name, b.op('Tanh', [softplus], `${at}.tanh`)], at));
    }
    default:
      throw new TfjsConversionError(
        `layer "${layer.name}" (${layer.className}) uses activation "${name}", which has no ONNX conversion; supported: ${CONVERTIBLE_ACTIVATIONS.join(', ')}`,
      );
  }
}

export function softmax(b: OnnxGraphBuilder, x: FlowTensor, axis: number, output: string): string {
  return b.op('Softmax', [x.name], output, [int('axis', axis)]);
}

export function clip(b: OnnxGraphBuilder, x: string, min: number, max: number, output: string): string {
  const lo = b.constant(`${output}.min`, [], Float32Array.of(min));
  const hi = b.constant(`${output}.max`, [], Float32Array.of(max));
  return b.op('Clip', [x, lo, hi], output);
}
