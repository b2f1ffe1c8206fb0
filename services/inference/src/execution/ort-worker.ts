// Worker-thread side of WorkerRunner: one onnxruntime session per worker, so session.run (which
// onnxruntime-node executes synchronously) never blocks the service's event loop.
import ort from 'onnxruntime-node';
import { parentPort, workerData } from 'node:worker_threads';
import { InProcessRunner, type PlainTensor } from './session-runner.js';

interface RunMessage {
  readonly id: number;
  readonly feeds: Record<string, PlainTensor>;
  readonly fetches: string[];
}

const { model, options } = workerData as {
  /** The model's bytes, or the path of a graph whose external data sits beside it. */
  model: Uint8Array | string;
  options: ort.InferenceSession.SessionOptions;
};
const port = parentPort!;
try {
  const session =
    typeof model === 'string'
      ? await ort.InferenceSession.create(model, options)
      : await ort.InferenceSession.create(model, options);
  const runner = new InProcessRunner(session, ort.Tensor as never);
  port.on('message', (msg: RunMessage | 'release') => {
    if (msg === 'release') {
      void session.release().finally(() => port.close());
      return;
    }
    runner.run(msg.feeds, msg.fetches).then(
      (outputs) => {
        const transfer = [
          ...new Set(
            Object.values(outputs).flatMap((t) =>
              Array.isArray(t.data) ? [] : [(t.data as ArrayBufferView).buffer as ArrayBuffer],
            ),
          ),
        ];
        port.postMessage({ id: msg.id, outputs }, transfer);
      },
      (err: Error) => port.postMessage({ id: msg.id, error: err.message }),
    );
  });
  port.postMessage({ ready: true, outputNames: session.outputNames });
} catch (err) {
  port.postMessage({ ready: false, error: (err as Error).message });
}
