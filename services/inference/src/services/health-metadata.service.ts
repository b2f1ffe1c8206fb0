import type { oip } from '@aimass/contracts';
import { FailedPreconditionError, UnavailableError } from '@aimass/errors';
import { ServiceHealth } from '@aimass/runtime';
import { Injectable } from '@nestjs/common';
import { readFileSync } from 'node:fs';
import { ModelVersionStore } from './model-version-store.service.js';

const VERSION: string = JSON.parse(
  readFileSync(new URL('../../package.json', import.meta.url), 'utf8'),
).version;

/** Triton-style platform names per registry format (Triton has none for tfjs; this one is ours). */
const PLATFORMS: Readonly<Record<string, string>> = { onnx: 'onnxruntime_onnx', tfjs: 'tensorflowjs' };

/** The OIP v2 health and metadata endpoints: server liveness/readiness, model readiness/metadata. */
@Injectable()
export class HealthMetadataService {
  constructor(
    private readonly store: ModelVersionStore,
    private readonly health: ServiceHealth,
  ) {}

  serverLive(): oip.ServerLiveResponse {
    return { live: true };
  }

  serverReady(): oip.ServerReadyResponse {
    return { ready: this.health.isServing };
  }

  serverMetadata(): oip.ServerMetadataResponse {
    return { name: 'aimass', version: VERSION, extensions: [] };
  }

  /** Ready means loaded and digest-verified; loading happens here if it has not yet (unless the model was unloaded on request). */
  async modelReady(req: oip.ModelReadyRequest__Output): Promise<oip.ModelReadyResponse> {
    try {
      await this.store.acquire(req.name, req.version);
      return { ready: true };
    } catch (err) {
      if (err instanceof FailedPreconditionError || err instanceof UnavailableError) return { ready: false };
      throw err;
    }
  }

  async modelMetadata(req: oip.ModelMetadataRequest__Output): Promise<oip.ModelMetadataResponse> {
    const version = await this.store.resolve(req.name, req.version);
    return {
      name: version.model,
      versions: [String(version.version)],
      platform: PLATFORMS[version.format] ?? version.format,
      inputs: version.signature.inputs,
      outputs: version.signature.outputs,
    };
  }
}
