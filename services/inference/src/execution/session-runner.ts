import type { InferenceSession, Tensor } from 'onnxruntime-node';

/** A tensor as it crosses into and out of a runtime: plain data, so it can cross a thread too. */
export interface PlainTensor {
  /** ORT tensor type ('float32', 'float16', 'string', ...); tfjs's float32, int32 and bool share these names. */
  readonly type: string;
  readonly data: ArrayBufferView | string[];
  readonly dims: readonly number[];
}

/** Runs one model: an onnxruntime session, wherever it lives (this thread or a worker thread), or a tfjs model (TfjsRunner). */
export interface SessionRunner {
  readonly outputNames: readonly string[];
  run(feeds: Record<string, PlainTensor>, fetches: readonly string[]): Promise<Record<string, PlainTensor>>;
  release(): Promise<void>;
}

type TensorCtor = new (type: string, data: unknown, dims: readonly number[]) => Tensor;

/** Builds the ORT tensor for plain data; FP16 needs care on Node 24 (see below). */
export function toOrtTensor(TensorClass: TensorCtor, t: PlainTensor): Tensor {
  if (t.type === 'float16') {
    // Node 24 has Float16Array; ORT 1.30 then converts Uint16Array input and loses it. Build the
    // tensor from the raw halves as uint16 and relabel it, which ORT passes through unchanged.
    const tensor = new TensorClass('uint16', t.data, t.dims);
    (tensor as { type: string }).type = 'float16';
    return tensor;
  }
  return new TensorClass(t.type, t.data, t.dims);
}

/** A session on this thread. onnxruntime-node 1.30 runs it synchronously on the event loop. */
export class InProcessRunner implements SessionRunner {
  constructor(
    private readonly session: InferenceSession,
    private readonly TensorClass: TensorCtor,
  ) {}

  get outputNames(): readonly string[] {
    return this.session.outputNames;
  }

  async run(
    feeds: Record<string, PlainTensor>,
    fetches: readonly string[],
  ): Promise<Record<string, PlainTensor>> {
    const ortFeeds: Record<string, Tensor> = {};
    for (const [name, t] of Object.entries(feeds)) ortFeeds[name] = toOrtTensor(this.TensorClass, t);
    const results = await this.session.run(ortFeeds, [...fetches]);
    const out: Record<string, PlainTensor> = {};
    for (const name of fetches) {
      const t = results[name]!;
      out[name] = { type: t.type, data: t.data as ArrayBufferView | string[], dims: t.dims };
    }
    return out;
  }

  release(): Promise<void> {
    return this.session.release();
  }
}
