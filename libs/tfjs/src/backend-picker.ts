/**
 * The one place that chooses a tfjs backend. tfjs's backend is global to its engine, so a process
 * picks once: it tries the backends in its use's order and keeps the first that starts.
 */

/** The backends each use tries, best first. */
export const TFJS_BACKEND_ORDER = {
  /**
   * Training: tfjs-node-gpu, WebGPU through Dawn, tfjs-node, wasm, then the plain JS cpu backend.
   * The two tensorflow ones are optional native packages.
   */
  training: ['tensorflow-gpu', 'webgpu', 'tensorflow', 'wasm', 'cpu'],
  /** Serving: wasm (XNNPACK) is about 3x the pure-JS cpu backend on dense layers. */
  serving: ['wasm', 'cpu'],
} as const;

/** The part of the tfjs engine the picker drives (the `@tensorflow/tfjs` module satisfies it). */
export interface TfjsEngine {
  setBackend(name: string): Promise<boolean>;
  ready(): Promise<void>;
}

export interface TfjsBackendCandidate<T> {
  /** What aimass calls the backend, in logs, settings and job records. */
  readonly name: string;
  /** The tfjs backend it registers ('tensorflow' for both tfjs-node packages). */
  readonly tfjsName: string;
  /** Loads the backend's package or opens its device, and says what it offers; throws if it cannot. */
  prepare(): Promise<T>;
}

export interface TfjsBackendPickOptions<T> {
  /** Told of each backend that could not start, with the first line of the reason. */
  onUnavailable?(name: string, reason: string): void;
  /**
   * Checks the backend that started against the caller's policy before it is kept; a throw ends
   * the search with that error.
   */
  accept?(name: string, facts: T, passedOver: readonly string[]): void;
}

export interface TfjsBackendChoice<T> {
  /** The backend in use, or undefined when none started. */
  readonly picked: { readonly name: string; readonly facts: T } | undefined;
  /** `name: reason` for each candidate that could not start, in order. */
  readonly passedOver: readonly string[];
}

/** Activates the first candidate that prepares and that tfjs starts. */
export async function pickTfjsBackend<T>(
  tf: TfjsEngine,
  candidates: readonly TfjsBackendCandidate<T>[],
  options: TfjsBackendPickOptions<T> = {},
): Promise<TfjsBackendChoice<T>> {
  const passedOver: string[] = [];
  for (const candidate of candidates) {
    let facts: T;
    try {
      facts = await candidate.prepare();
      if (!(await tf.setBackend(candidate.tfjsName))) {
        throw new Error(`tfjs could not start its ${candidate.tfjsName} backend`);
      }
      await tf.ready();
    } catch (err) {
      const reason = (err as Error).message.split('\n')[0] as string;
      passedOver.push(`${candidate.name}: ${reason}`);
      options.onUnavailable?.(candidate.name, reason);
      continue;
    }
    options.accept?.(candidate.name, facts, passedOver);
    return { picked: { name: candidate.name, facts }, passedOver };
  }
  return { picked: undefined, passedOver };
}
