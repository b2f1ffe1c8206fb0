import type { TfjsModelJson } from '../tfjs-layout.js';
import { TfjsConversionError } from './conversion-error.js';

/** One layer of a layers model as model.json records it (Keras JSON, snake_case config). */
export interface KerasLayer {
  readonly name: string;
  readonly className: string;
  readonly config: Readonly<Record<string, unknown>>;
}

/** A layers model reduced to what conversion walks: one input, then layers applied one after another. */
export interface LayerChain {
  /** The input's name as the registry's tfjs signature names it, so both formats take the same tensor. */
  readonly inputName: string;
  /** The input's shape after the batch dimension (channels last for images). */
  readonly inputShape: readonly number[];
  readonly layers: readonly KerasLayer[];
}

interface LayerJson {
  class_name?: unknown;
  name?: unknown;
  config?: Record<string, unknown>;
  inbound_nodes?: unknown;
}

/**
 * The chain of a Sequential model, or of a functional model whose layers each take the previous
 * one's single output. Anything else (a graph model, branches, several inputs or outputs, nested
 * models) is refused here, before any ONNX is written.
 */
export function readLayerChain(model: TfjsModelJson): LayerChain {
  if (model.format === 'graph-model' || model.signature !== undefined)
    throw new TfjsConversionError(
      'model.json is a tfjs graph model; only layers models (saved by tf.LayersModel.save) can be converted to ONNX',
    );
  const root = model.modelTopology as Record<string, unknown> | undefined;
  const topology = (root?.model_config ?? root) as { class_name?: unknown; config?: unknown } | undefined;
  const config = topology?.config as { layers?: unknown } | undefined;
  if (!topology || !Array.isArray(config?.layers) || config.layers.length === 0)
    throw new TfjsConversionError('model.json has no modelTopology with layers; is it a tfjs layers model?');
  const layers = (config.layers as LayerJson[]).map(kerasLayer);
  if (topology.class_name === 'Sequential') return sequentialChain(layers);
  if (topology.class_name === 'Model' || topology.class_name === 'Functional')
    return functionalChain(
      config as { input_layers?: unknown; output_layers?: unknown },
      config.layers as LayerJson[],
    );
  throw new TfjsConversionError(
    `the model is a ${String(topology.class_name)}; only Sequential and functional (Model) layers models can be converted`,
  );
}

function kerasLayer(json: LayerJson, index: number): KerasLayer {
  const config = json.config ?? {};
  const name = typeof json.name === 'string' ? json.name : config.name;
  if (typeof json.class_name !== 'string' || typeof name !== 'string')
    throw new TfjsConversionError(`layer ${index} of model.json has no class_name or no name`);
  return { name, className: json.class_name, config };
}

function sequentialChain(layers: KerasLayer[]): LayerChain {
  const first = layers[0]!;
  const shape = first.config.batch_input_shape ?? first.config.batchInputShape;
  const isInput = first.className === 'InputLayer';
  return {
    inputName: isInput ? first.name : `${first.name}_input`,
    inputShape: inputShape(shape, first),
    layers: isInput ? layers.slice(1) : layers,
  };
}

function functionalChain(
  config: { input_layers?: unknown; output_layers?: unknown },
  json: LayerJson[],
): LayerChain {
  const inputs = config.input_layers as unknown[][] | undefined;
  const outputs = config.output_layers as unknown[][] | undefined;
  if (!Array.isArray(inputs) || inputs.length !== 1 || !Array.isArray(outputs) || outputs.length !== 1)
    throw new TfjsConversionError(
      `the functional model has ${Array.isArray(inputs) ? inputs.length : 0} inputs and ${Array.isArray(outputs) ? outputs.length : 0} outputs; only one input and one output can be converted`,
    );
  const byName = new Map(json.map((layer, i) => [kerasLayer(layer, i).name, layer] as const));
  const inputName = String(inputs[0]![0]);
  const outputName = String(outputs[0]![0]);
  const chain: KerasLayer[] = [];
  // Walk back from the output: each layer must have one call with one inbound tensor.
  for (let name = outputName; name !== inputName;) {
    const layer = byName.get(name);
    if (!layer)
      throw new TfjsConversionError(`the functional model names layer "${name}", which it does not hold`);
    const keras = kerasLayer(layer, chain.length);
    const nodes = layer.inbound_nodes as unknown[][][] | undefined;
    if (!Array.isArray(nodes) || nodes.length !== 1 || nodes[0]!.length !== 1)
      throw new TfjsConversionError(
        `layer "${keras.name}" (${keras.className}) is called ${Array.isArray(nodes) ? nodes.length : 0} times or on several tensors; only a chain of single-input layers can be converted`,
      );
    chain.unshift(keras);
    if (chain.length > json.length)
      throw new TfjsConversionError('the functional model does not lead from its input to its output');
    name = String(nodes[0]![0]![0]);
  }
  if (chain.length !== json.length - 1)
    throw new TfjsConversionError(
      `the functional model holds ${json.length - 1 - chain.length} layers off the path from input to output; only a chain can be converted`,
    );
  const input = kerasLayer(byName.get(inputName)!, 0);
  return {
    inputName,
    inputShape: inputShape(input.config.batch_input_shape ?? input.config.batchInputShape, input),
    layers: chain,
  };
}

function inputShape(shape: unknown, layer: KerasLayer): number[] {
  if (!Array.isArray(shape) || shape.length < 2)
    throw new TfjsConversionError(
      `layer "${layer.name}" (${layer.className}) declares no batch_input_shape; the input's shape must be known`,
    );
  const rest = shape.slice(1);
  if (rest.some((d) => typeof d !== 'number' || !Number.isInteger(d) || d < 1))
    throw new TfjsConversionError(
      `the input shape [${shape.map((d) => (d === null ? 'null' : String(d))).join(', ')}] has unknown dimensions after the batch; only the batch dimension may vary`,
    );
  return rest as number[];
}
