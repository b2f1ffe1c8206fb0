// @aimass/testing/onnx-external: a large ONNX model whose weights live in external-data shards,
// written straight to disk (one layer's weights in memory at a time), and its float64 reference.
import fs from 'node:fs';
import path from 'node:path';
import { onnx } from '@aimass/tensors';

export interface ShardedChainOptions {
  /** Features in and out of every layer: each weight is width x width float32. */
  readonly width: number;
  readonly layers: number;
  /** Layers whose weights share one data file (at successive offsets). */
  readonly layersPerShard: number;
}

export interface ShardedChain {
  /** The graph file; its data files sit beside it. */
  readonly graphPath: string;
  readonly dataFiles: readonly string[];
  /** Graph plus data files, in bytes. */
  readonly totalBytes: number;
  /** y = x·W0·W1·…, in float64, for one row x. */
  reference(x: readonly number[]): number[];
}

/** Layer l's weight (i, j): spread over ±1/√width, so a chain keeps its activations near 1. */
function weight(width: number, layer: number, i: number, j: number): number {
  const h = Math.imul(i * 31 + j + 1, 2654435761) ^ Math.imul(layer + 7, 40503);
  return ((((h >>> 0) % 2001) - 1000) / 1000) * (1.7 / Math.sqrt(width));
}

/** Writes `input [batch, width] -> MatMul ×layers -> output` with every weight in external data. */
export function writeShardedChain(dir: string, options: ShardedChainOptions): ShardedChain {
  const { width, layers, layersPerShard } = options;
  fs.mkdirSync(dir, { recursive: true });
  const layerBytes = width * width * 4;
  const initializers: onnx.ITensorProto[] = [];
  const nodes: onnx.INodeProto[] = [];
  const dataFiles: string[] = [];
  let previous = 'input';
  for (let l = 0; l < layers; l++) {
    const file = `weights-${String(Math.floor(l / layersPerShard)).padStart(3, '0')}.bin`;
    if (l % layersPerShard === 0) {
      dataFiles.push(file);
      fs.writeFileSync(path.join(dir, file), new Uint8Array(0));
    }
    const w = new Float32Array(width * width);
    for (let i = 0; i < width; i++) for (let j = 0; j < width; j++) w[i * width + j] = weight(width, l, i, j);
    fs.appendFileSync(path.join(dir, file), new Uint8Array(w.buffer));
    initializers.push({
      name: `w${l}`,
      dims: [width, width],
      dataType: onnx.TensorProto.DataType.FLOAT,
      dataLocation: onnx.TensorProto.DataLocation.EXTERNAL,
      externalData: [
        { key: 'location', value: file },
        { key: 'offset', value: String((l % layersPerShard) * layerBytes) },
        { key: 'length', value: String(layerBytes) },
      ],
    });
    const output = l === layers - 1 ? 'output' : `h${l}`;
    nodes.push({ name: `matmul${l}`, opType: 'MatMul', input: [previous, `w${l}`], output: [output] });
    previous = output;
  }
  const row = (name: string): onnx.IValueInfoProto => ({
    name,
    type: {
      tensorType: {
        elemType: onnx.TensorProto.DataType.FLOAT,
        shape: { dim: [{ dimParam: 'batch' }, { dimValue: width }] },
      },
    },
  });
  const graphPath = path.join(dir, 'model.onnx');
  const graph = onnx.ModelProto.encode({
    irVersion: 8,
    opsetImport: [{ domain: '', version: 13 }],
    producerName: 'aimass-testing',
    graph: {
      name: 'sharded-chain',
      node: nodes,
      initializer: initializers,
      input: [row('input')],
      output: [row('output')],
    },
  }).finish();
  fs.writeFileSync(graphPath, graph);
  return {
    graphPath,
    dataFiles,
    totalBytes: graph.length + layers * layerBytes,
    reference(x) {
      let h = [...x];
      for (let l = 0; l < layers; l++) {
        const next = new Float64Array(width);
        for (let i = 0; i < width; i++) {
          const xi = h[i]!;
          if (xi === 0) continue;
          for (let j = 0; j < width; j++) next[j] = next[j]! + xi * Math.fround(weight(width, l, i, j));
        }
        h = [...next];
      }
      return h;
    },
  };
}
