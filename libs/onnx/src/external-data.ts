import path from 'node:path';
import { onnx } from '@aimass/tensors';
import { OnnxSignatureError } from './onnx-errors.js';

// ONNX external data: a graph whose initializers keep their bytes in other files (the way to
// store a model past protobuf's 2 GB limit). An `onnx-external` artifact is a tar of one such
// graph and the files it names, at the tar's root or inside one top-level directory. These rules
// read bytes and names from outside: every refusal is an OnnxSignatureError saying what to fix.

/** Largest graph file an onnx-external artifact may hold: the weights belong in its data files. */
export const MAX_EXTERNAL_GRAPH_BYTES = 64 * 1024 ** 2;

/** One initializer's bytes in an external file (`length` undefined: to the end of the file). */
export interface ExternalDataRef {
  readonly tensor: string;
  /** The file, relative to the graph's own directory, as the graph names it. */
  readonly location: string;
  readonly offset: number;
  readonly length: number | undefined;
}

/** An onnx-external artifact's layout: its graph entry and its data files with their sizes. */
export interface ExternalLayout {
  readonly graph: string;
  readonly dataFiles: ReadonlyMap<string, number>;
}

/** A tar entry's name, normalised; names that would land outside the extraction folder are refused. */
export function safeEntryName(tarName: string): string {
  const name = path.posix.normalize(tarName.replace(/\\/g, '/')).replace(/^\.\//, '').replace(/\/$/, '');
  if (name === '' || name === '.' || path.posix.isAbsolute(name) || name === '..' || name.startsWith('../'))
    throw new OnnxSignatureError(`the tar entry "${tarName}" would land outside the model's folder`);
  return name;
}

/**
 * Ends a tar extraction (tar-stream) on a refused entry. Destroying the extraction destroys the
 * entry's stream with the same error, so the entry gets a listener first: without one that error is
 * uncaught and takes the process down (a push of a tar naming "../x" did).
 */
export function abandonTarEntry(
  extract: { destroy(err?: Error): unknown },
  entry: { on(event: 'error', listener: () => void): unknown; resume(): unknown },
  err: unknown,
): void {
  entry.on('error', () => undefined);
  entry.resume();
  extract.destroy(err as Error);
}

/** Every external-data reference in the model: initializers, sparse ones, and those of subgraphs. */
export function externalDataRefs(graphBytes: Uint8Array): ExternalDataRef[] {
  let model: onnx.ModelProto;
  try {
    model = onnx.ModelProto.decode(graphBytes);
  } catch (err) {
    throw new OnnxSignatureError(`the graph is not an ONNX ModelProto (${(err as Error).message})`, {
      cause: err,
    });
  }
  const refs: ExternalDataRef[] = [];
  const visit = (graph: onnx.IGraphProto | null | undefined): void => {
    if (!graph) return;
    const attributes = (graph.node ?? []).flatMap((node) => node.attribute ?? []);
    const tensors = [
      ...(graph.initializer ?? []),
      ...(graph.sparseInitializer ?? []).flatMap((s) => [s.values, s.indices]),
      ...attributes.flatMap((a) => [a.t, ...(a.tensors ?? [])]),
    ];
    for (const tensor of tensors)
      if (tensor && tensor.dataLocation === onnx.TensorProto.DataLocation.EXTERNAL)
        refs.push(referenceOf(tensor));
    for (const attribute of attributes)
      for (const sub of [attribute.g, ...(attribute.graphs ?? [])]) visit(sub);
  };
  visit(model.graph);
  return refs;
}

function referenceOf(tensor: onnx.ITensorProto): ExternalDataRef {
  const name = tensor.name ?? '(unnamed)';
  const entries = new Map((tensor.externalData ?? []).map((e) => [e.key ?? '', e.value ?? '']));
  const location = entries.get('location');
  if (!location) throw new OnnxSignatureError(`initializer "${name}" is external but names no location`);
  const number = (key: string): number | undefined => {
    const text = entries.get(key);
    if (text === undefined || text === '') return undefined;
    const value = Number(text);
    if (!Number.isSafeInteger(value) || value < 0)
      throw new OnnxSignatureError(`initializer "${name}" has an external-data ${key} of "${text}"`);
    return value;
  };
  return { tensor: name, location, offset: number('offset') ?? 0, length: number('length') };
}

/** The one graph (`*.onnx`) among the entries, at the root or one folder down. */
export function pickExternalGraph(entries: Iterable<string>): string {
  const graphs = [...entries].filter((e) => e.endsWith('.onnx') && e.split('/').length <= 2);
  if (graphs.length === 0)
    throw new OnnxSignatureError(
      'the tar holds no ONNX graph (a *.onnx file at its root or in one top-level folder)',
    );
  if (graphs.length > 1)
    throw new OnnxSignatureError(`the tar holds several graphs (${graphs.join(', ')}); push one per version`);
  return graphs[0]!;
}

/**
 * Checks that the tar holds what the graph names and nothing else: every reference's file, with
 * its byte range inside that file, every file named by some reference, and at least one
 * reference (a graph with all its weights inline is an `onnx` artifact).
 */
export function checkExternalLayout(
  graph: string,
  refs: readonly ExternalDataRef[],
  files: ReadonlyMap<string, number>,
): ExternalLayout {
  if (refs.length === 0)
    throw new OnnxSignatureError(
      `${graph} keeps all its weights inline; push it alone with format onnx, not as onnx-external`,
    );
  const folder = path.posix.dirname(graph);
  const dataFiles = new Map<string, number>();
  for (const ref of refs) {
    if (path.posix.isAbsolute(ref.location) || ref.location.includes('\\'))
      throw new OnnxSignatureError(
        `initializer "${ref.tensor}" names "${ref.location}"; external data must be a path relative to the graph`,
      );
    const file = path.posix.normalize(path.posix.join(folder, ref.location));
    if (file.startsWith('../') || (folder !== '.' && !file.startsWith(`${folder}/`)))
      throw new OnnxSignatureError(
        `initializer "${ref.tensor}" names "${ref.location}", outside the graph's folder`,
      );
    const size = files.get(file);
    if (size === undefined)
      throw new OnnxSignatureError(
        `initializer "${ref.tensor}" keeps its data in "${ref.location}", which the tar does not hold`,
      );
    const end = ref.offset + (ref.length ?? size - ref.offset);
    if (ref.offset > size || end > size)
      throw new OnnxSignatureError(
        `initializer "${ref.tensor}" reads bytes ${ref.offset} to ${end} of "${ref.location}", which holds ${size}`,
      );
    dataFiles.set(file, size);
  }
  for (const file of files.keys())
    if (file !== graph && !dataFiles.has(file))
      throw new OnnxSignatureError(
        `the tar entry "${file}" is neither the graph nor a file its initializers name; leave it out`,
      );
  return { graph, dataFiles };
}
