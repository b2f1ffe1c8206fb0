import type { DenseLayer } from '../dense/dense-spec.js';
import { type FeatureScaling, OnnxGraphBuilder } from './graph-builder.js';

export interface GeneratorExport {
  readonly noiseDim: number;
  readonly outputDim: number;
  readonly generator: readonly DenseLayer[];
  /** When set, samples come out as raw features. */
  readonly scaling?: FeatureScaling;
}

export const GENERATOR_TENSORS = { noise: 'noise', sample: 'sample' } as const;

/** A GAN generator: noise [batch, noiseDim] (standard normal) → sample [batch, outputDim]. */
export function exportGenerator(model: GeneratorExport): Uint8Array {
  const g = new OnnxGraphBuilder('aimass_gan_generator');
  const z = g.input(GENERATOR_TENSORS.noise, model.noiseDim);
  const out = g.dense('generator', model.generator, z, model.noiseDim);
  g.output(model.scaling ? g.scaleOut(out, model.scaling) : out, GENERATOR_TENSORS.sample, model.outputDim);
  return g.encode('aimass GAN generator: standard-normal noise to samples');
}
