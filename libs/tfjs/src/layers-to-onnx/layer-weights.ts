import type { TfjsWeightSpec } from '../tfjs-layout.js';
import type { KerasLayer } from './keras-topology.js';
import { TfjsConversionError } from './conversion-error.js';

export interface Weight {
  readonly shape: readonly number[];
  readonly values: Float32Array;
}

/**
 * The weights of a layers model by name (`<layer>/<weight>`, as tf.io saves them), read from the
 * shards concatenated in manifest order. Only unquantized float32 weights are read.
 */
export class LayerWeights {
  private readonly weights = new Map<string, Weight>();
  private readonly used = new Set<string>();

  constructor(specs: readonly TfjsWeightSpec[], data: Uint8Array) {
    let offset = 0;
    for (const spec of specs) {
      if (spec.dtype !== 'float32' || spec.quantization !== undefined)
        throw new TfjsConversionError(
          `weight "${spec.name}" is ${spec.quantization === undefined ? spec.dtype : 'quantized'}; only unquantized float32 weights can be converted (save the model without quantization)`,
        );
      const count = spec.shape.reduce((a, b) => a * b, 1);
      if (offset + count * 4 > data.byteLength)
        throw new TfjsConversionError(
          `the weight files hold ${data.byteLength} bytes, too few for weight "${spec.name}" [${spec.shape.join(', ')}] at byte ${offset}; are shards missing?`,
        );
      // Copied: the shards need not be 4-byte aligned.
      const values = new Float32Array(data.slice(offset, offset + count * 4).buffer);
      this.weights.set(spec.name, { shape: spec.shape, values });
      offset += count * 4;
    }
    if (offset !== data.byteLength)
      throw new TfjsConversionError(
        `the weight files hold ${data.byteLength} bytes but the manifest declares ${offset}`,
      );
  }

  /** The layer's weight `name` (e.g. kernel), checked against the shape the topology implies. */
  take(layer: KerasLayer, name: string, shape: readonly number[]): Float32Array {
    const key = `${layer.name}/${name}`;
    const weight = this.weights.get(key);
    if (!weight)
      throw new TfjsConversionError(
        `layer "${layer.name}" (${layer.className}) has no weight "${key}" in the weights manifest`,
      );
    if (weight.shape.length !== shape.length || weight.shape.some((d, i) => d !== shape[i]))
      throw new TfjsConversionError(
        `layer "${layer.name}" (${layer.className}): weight "${key}" is [${weight.shape.join(', ')}], [${shape.join(', ')}] expected`,
      );
    this.used.add(key);
    return weight.values;
  }

  /** Weights no converted layer took: a sign the topology and the weights disagree. */
  unused(): string[] {
    return [...this.weights.keys()].filter((key) => !this.used.has(key));
  }
}
