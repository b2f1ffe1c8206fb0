import { OnnxExportError, OnnxGraphBuilder } from '@aimass/onnx';
import type { TfjsModelJson, TfjsWeightSpec } from '../tfjs-layout.js';
import { TfjsConversionError } from './conversion-error.js';
import { readLayerChain } from './keras-topology.js';
import { LAYER_CONVERTERS } from './layer-converters.js';
import { LayerWeights } from './layer-weights.js';
import { channelsLast, type FlowTensor } from './tensor-flow.js';

/** A tfjs layers model as tf.io hands it over: model.json and the weight shards, concatenated in manifest order. */
export interface TfjsLayersArtifact {
  readonly modelJson: TfjsModelJson;
  readonly weightData: Uint8Array;
}

export interface LayersOnnxExport {
  /** The ONNX model (opset 13, FP32), encoded. */
  readonly onnx: Uint8Array;
  readonly input: { readonly name: string; readonly shape: readonly number[] };
  readonly output: { readonly name: string; readonly shape: readonly number[] };
}

/**
 * The ONNX model that computes what the tfjs layers model's predict computes: the same input and
 * output names and shapes (channels last, the batch dimension free). Conversion reads only
 * model.json and the weight bytes; tfjs itself is not loaded. A model it cannot convert throws a
 * TfjsConversionError naming the layer and its class, before anything is written.
 */
export function convertLayersModelToOnnx(artifact: TfjsLayersArtifact): LayersOnnxExport {
  try {
    return buildGraph(artifact);
  } catch (err) {
    // The builder's own refusals (a tensor name used twice, an encoding failure) are this model's too.
    if (err instanceof OnnxExportError) throw new TfjsConversionError(err.message, { cause: err });
    throw err;
  }
}

function buildGraph(artifact: TfjsLayersArtifact): LayersOnnxExport {
  const chain = readLayerChain(artifact.modelJson);
  const specs: TfjsWeightSpec[] = (artifact.modelJson.weightsManifest ?? []).flatMap((g) => g.weights ?? []);
  const weights = new LayerWeights(specs, artifact.weightData);
  const graphName = String(
    (artifact.modelJson.modelTopology?.config as { name?: unknown } | undefined)?.name ?? 'tfjs_layers_model',
  );
  const b = new OnnxGraphBuilder(graphName);
  let x: FlowTensor = {
    name: b.input(chain.inputName, chain.inputShape),
    shape: chain.inputShape,
    layout: 'channels_last',
  };
  for (const layer of chain.layers) {
    const convert = LAYER_CONVERTERS[layer.className];
    if (!convert)
      throw new TfjsConversionError(
        `layer "${layer.name}" (${layer.className}) has no ONNX conversion; convertible layers: InputLayer, ${Object.keys(LAYER_CONVERTERS).join(', ')}`,
      );
    x = convert(x, { b, layer, weights });
  }
  const unused = weights.unused();
  if (unused.length > 0)
    throw new TfjsConversionError(
      `the weights manifest holds weights no converted layer uses (${unused.join(', ')}); the topology and the weights disagree`,
    );
  const outputLayer = chain.layers.at(-1)?.name ?? `${chain.inputName}_output`;
  const output = channelsLast(b, x, outputLayer);
  b.output(output.name, outputLayer, output.shape);
  return {
    onnx: b.encode(`converted from the tfjs layers model ${graphName}`),
    input: { name: chain.inputName, shape: chain.inputShape },
    output: { name: outputLayer, shape: output.shape },
  };
}
