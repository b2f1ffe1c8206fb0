import type { OnnxGraphBuilder } from '@aimass/onnx';
import { TfjsConversionError } from './conversion-error.js';
import type { KerasLayer } from './keras-topology.js';
import type { LayerWeights } from './layer-weights.js';

/** What converting one layer needs: the graph under construction, the layer, and the model's weights. */
export interface LayerContext {
  readonly b: OnnxGraphBuilder;
  readonly layer: KerasLayer;
  readonly weights: LayerWeights;
}

export function refuse(layer: KerasLayer, why: string): TfjsConversionError {
  return new TfjsConversionError(`layer "${layer.name}" (${layer.className}) ${why}`);
}

export function numberOr(value: unknown, fallback: number): number {
  return typeof value === 'number' ? value : fallback;
}

export function positiveInt(layer: KerasLayer, key: string): number {
  const value = layer.config[key];
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1)
    throw refuse(layer, `has no whole positive ${key}`);
  return value;
}
