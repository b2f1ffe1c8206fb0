import { onnx } from '@aimass/tensors';
import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import {
  abandonTarEntry,
  checkExternalLayout,
  externalDataRefs,
  pickExternalGraph,
  safeEntryName,
} from './external-data.js';

function graphWith(tensors: onnx.ITensorProto[]): Uint8Array {
  return onnx.ModelProto.encode({ irVersion: 8, graph: { name: 'g', initializer: tensors } }).finish();
}

const external = (name: string, location: string, offset?: number, length?: number): onnx.ITensorProto => ({
  name,
  dims: [4],
  dataType: onnx.TensorProto.DataType.FLOAT,
  dataLocation: onnx.TensorProto.DataLocation.EXTERNAL,
  externalData: [
    { key: 'location', value: location },
    ...(offset === undefined ? [] : [{ key: 'offset', value: String(offset) }]),
    ...(length === undefined ? [] : [{ key: 'length', value: String(length) }]),
  ],
});

describe('external data references', () => {
  it('reads every external initializer, also inside a subgraph, and leaves inline ones out', () => {
    const bytes = onnx.ModelProto.encode({
      irVersion: 8,
      graph: {
        initializer: [external('a', 'a.bin', 0, 16), { name: 'inline', dims: [1], floatData: [1] }],
        node: [
          {
            opType: 'If',
            attribute: [{ name: 'then_branch', g: { initializer: [external('b', 'data/b.bin', 64)] } }],
          },
        ],
      },
    }).finish();
    expect(externalDataRefs(bytes)).toEqual([
      { tensor: 'a', location: 'a.bin', offset: 0, length: 16 },
      { tensor: 'b', location: 'data/b.bin', offset: 64, length: undefined },
    ]);
  });

  it('refuses bytes that are not a ModelProto and a reference without a location or with a bad offset', () => {
    expect(() => externalDataRefs(Uint8Array.from([0xff, 0xff, 0xff]))).toThrow(/not an ONNX ModelProto/);
    const noLocation = { ...external('w', 'x'), externalData: [{ key: 'offset', value: '0' }] };
    expect(() => externalDataRefs(graphWith([noLocation]))).toThrow(
      'initializer "w" is external but names no location',
    );
    const badOffset = {
      ...external('w', 'x'),
      externalData: [
        { key: 'location', value: 'x' },
        { key: 'offset', value: '-4' },
      ],
    };
    expect(() => externalDataRefs(graphWith([badOffset]))).toThrow(
      'initializer "w" has an external-data offset of "-4"',
    );
  });
});

describe('an onnx-external layout', () => {
  const files = (entries: Record<string, number>) => new Map(Object.entries(entries));

  it('accepts a graph and the shards it names, at the root or one folder down', () => {
    const refs = externalDataRefs(
      graphWith([external('a', 'w0.bin', 0, 16), external('b', 'w0.bin', 16, 16), external('c', 'w1.bin')]),
    );
    expect(
      checkExternalLayout('model.onnx', refs, files({ 'model.onnx': 100, 'w0.bin': 32, 'w1.bin': 16 }))
        .dataFiles,
    ).toEqual(
      new Map([
        ['w0.bin', 32],
        ['w1.bin', 16],
      ]),
    );
    expect(
      checkExternalLayout(
        'm/model.onnx',
        refs,
        files({ 'm/model.onnx': 100, 'm/w0.bin': 32, 'm/w1.bin': 16 }),
      ).graph,
    ).toBe('m/model.onnx');
  });

  it.each([
    [
      'no external data',
      [],
      { 'model.onnx': 1 },
      'keeps all its weights inline; push it alone with format onnx',
    ],
    [
      'a missing shard',
      [external('w', 'w.bin', 0, 16)],
      { 'model.onnx': 1 },
      'keeps its data in "w.bin", which the tar does not hold',
    ],
    [
      'a range past the shard',
      [external('w', 'w.bin', 8, 16)],
      { 'model.onnx': 1, 'w.bin': 16 },
      'reads bytes 8 to 24 of "w.bin", which holds 16',
    ],
    [
      'an absolute location',
      [external('w', '/etc/passwd')],
      { 'model.onnx': 1 },
      'must be a path relative to the graph',
    ],
    [
      'a location above the graph',
      [external('w', '../w.bin')],
      { 'model.onnx': 1, 'w.bin': 4 },
      "outside the graph's folder",
    ],
    [
      'a stray file',
      [external('w', 'w.bin')],
      { 'model.onnx': 1, 'w.bin': 16, 'README.md': 3 },
      '"README.md" is neither the graph nor a file',
    ],
  ])('refuses %s', (_, tensors, entries, message) => {
    const refs = externalDataRefs(graphWith(tensors));
    expect(() => checkExternalLayout('model.onnx', refs, files(entries))).toThrow(message);
  });

  it.each([
    [['w.bin'], 'holds no ONNX graph'],
    [['a.onnx', 'b.onnx'], 'holds several graphs (a.onnx, b.onnx)'],
    [['a/b/c.onnx'], 'holds no ONNX graph'],
  ])('picks exactly one graph from %j', (entries, message) => {
    expect(() => pickExternalGraph(entries)).toThrow(message);
  });

  it.each(['../x', '/abs/x', './', '..'])('refuses the tar entry %j', (name) => {
    expect(() => safeEntryName(name)).toThrow('would land outside');
  });

  it('normalises entry names', () => {
    expect(safeEntryName('./m/./model.onnx')).toBe('m/model.onnx');
    expect(safeEntryName('m/')).toBe('m');
  });

  it('abandons a refused entry without an uncaught error: the extraction destroys the entry with its error', () => {
    const entry = Object.assign(new EventEmitter(), { resumed: false, resume: () => (entry.resumed = true) });
    let destroyedWith: unknown;
    // As tar-stream's extract does: destroying it destroys the current entry with the same error.
    const extract = {
      destroy(err?: Error) {
        destroyedWith = err;
        entry.emit('error', err);
      },
    };
    const refusal = new Error('the tar entry "../x" would land outside the model\'s folder');
    expect(() => extract.destroy(refusal)).toThrow(refusal);
    expect(() => abandonTarEntry(extract, entry, refusal)).not.toThrow();
    expect(destroyedWith).toBe(refusal);
    expect(entry.resumed).toBe(true);
  });
});
