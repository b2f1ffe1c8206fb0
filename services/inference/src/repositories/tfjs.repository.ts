import type { Signature } from '@aimass/contracts';
import { AimassError, FailedPreconditionError } from '@aimass/errors';
import { pickTfjsBackend, TFJS_BACKEND_ORDER, type TfjsBackendCandidate } from '@aimass/tfjs';
import { Injectable, Logger } from '@nestjs/common';
import { ModelInstance } from '../execution/model-instance.js';
import { readTfjsArtifact } from '../execution/tfjs-artifact.js';
import { type LoadedTfjsModel, TfjsRunner, type Tfjs } from '../execution/tfjs-runner.js';

/** How to start each serving backend (TFJS_BACKEND_ORDER.serving). */
const BACKENDS: Record<(typeof TFJS_BACKEND_ORDER.serving)[number], TfjsBackendCandidate<void>> = {
  wasm: {
    name: 'wasm',
    tfjsName: 'wasm',
    prepare: async () => {
      await import('@tensorflow/tfjs-backend-wasm');
    },
  },
  cpu: { name: 'cpu', tfjsName: 'cpu', prepare: async () => {} },
};

/**
 * Opens tfjs-format models (a tar of model.json plus weight shards); the only place that touches
 * tfjs. tfjs is imported on the first tfjs version (it adds about 250 ms to a start that serves
 * none), and the backend is chosen then, once per process (wasm, else cpu): it is global to the
 * tfjs engine. Runs happen on the event loop, which they block for their length, as onnxruntime's
 * event-loop execution does.
 */
@Injectable()
export class TfjsRepository {
  private readonly logger = new Logger(TfjsRepository.name);
  private ready: Promise<{ tf: Tfjs }> | undefined;

  async open(bytes: Uint8Array, label: string, signature: Signature): Promise<ModelInstance> {
    const { tf } = await this.start();
    const artifact = await readTfjsArtifact(bytes, label);
    const handler = tf.io.fromMemory({
      modelTopology: artifact.modelJson.modelTopology,
      format: artifact.modelJson.format,
      weightSpecs: artifact.weightSpecs,
      weightData: artifact.weightData,
      signature: artifact.modelJson.signature,
    });
    const isGraph = artifact.modelJson.format === 'graph-model' || artifact.modelJson.signature !== undefined;
    let loaded: LoadedTfjsModel | undefined;
    try {
      loaded = isGraph
        ? { kind: 'graph', model: await tf.loadGraphModel(handler) }
        : { kind: 'layers', model: await tf.loadLayersModel(handler) };
      return new ModelInstance(new TfjsRunner(tf, loaded, signature, label));
    } catch (err) {
      loaded?.model.dispose();
      if (err instanceof AimassError) throw err;
      throw new FailedPreconditionError(`${label} cannot be loaded by tfjs: ${(err as Error).message}`, {
        cause: err,
      });
    }
  }

  private start(): Promise<{ tf: Tfjs }> {
    this.ready ??= import('@tensorflow/tfjs').then(async (tf) => {
      await selectServingBackend(tf, this.logger);
      return { tf };
    });
    return this.ready;
  }
}

/** Activates the first serving backend that starts and returns its name; tfjs keeps it for the process. */
export async function selectServingBackend(tf: Tfjs, logger: Logger): Promise<string> {
  // tfjs prints a multi-line banner on first use in Node; production mode silences its console output.
  tf.enableProdMode();
  const { picked } = await pickTfjsBackend(
    tf,
    TFJS_BACKEND_ORDER.serving.map((name) => BACKENDS[name]),
    { onUnavailable: (name, reason) => logger.warn(`tfjs backend ${name} unavailable: ${reason}`) },
  );
  if (!picked) {
    throw new FailedPreconditionError(
      'no tfjs backend could be initialised, so tfjs models cannot be served',
    );
  }
  logger.log(`tfjs models run on the ${picked.name} backend`);
  return picked.name;
}
