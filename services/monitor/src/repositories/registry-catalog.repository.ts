import type { AimassConfig } from '@aimass/config';
import type { registryv1 } from '@aimass/contracts';
import { peerClient } from '@aimass/grpc';
import { Metadata } from '@grpc/grpc-js';
import { AIMASS_CONFIG } from '@aimass/runtime';
import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import { unaryCall } from './peer-calls.js';

const PAGE_SIZE = 500;

/**
 * The registry's read API as the console uses it (models, versions, artifacts, reference statistics). Every
 * call carries the monitor's own token (AIMASS_AUTH_TOKEN).
 */
@Injectable()
export class RegistryCatalogRepository implements OnModuleDestroy {
  private readonly client: registryv1.RegistryServiceClient;

  constructor(@Inject(AIMASS_CONFIG) config: AimassConfig) {
    this.client = peerClient<registryv1.RegistryServiceClient>('registry', config);
  }

  async listModels(): Promise<registryv1.Model__Output[]> {
    const models: registryv1.Model__Output[] = [];
    let page_token = '';
    do {
      const page = await this.unary<registryv1.ListModelsResponse__Output>('list models', (md, opts, done) =>
        this.client.ListModels({ page_size: PAGE_SIZE, page_token, order_by: 'name' }, md, opts, done),
      );
      models.push(...page.models);
      page_token = page.next_page_token;
    } while (page_token !== '');
    return models;
  }

  getModel(name: string): Promise<registryv1.Model__Output> {
    return this.unary(`read model ${name}`, (md, opts, done) =>
      this.client.GetModel({ name }, md, opts, done),
    );
  }

  async listVersions(model: string): Promise<registryv1.ModelVersion__Output[]> {
    const list = await this.unary<registryv1.ListVersionsResponse__Output>(
      `list versions of ${model}`,
      (md, opts, done) => this.client.ListVersions({ model }, md, opts, done),
    );
    return list.versions;
  }

  getVersion(model: string, version: string): Promise<registryv1.ModelVersion__Output> {
    return this.unary(`read version ${version} of ${model}`, (md, opts, done) =>
      this.client.GetVersion({ model, version }, md, opts, done),
    );
  }

  /**
   * The version's artifact as it comes from the registry: the first message carries the version
   * record, every message a chunk. The caller consumes or destroys the stream.
   */
  downloadVersion(model: string, version: string): AsyncIterable<registryv1.DownloadVersionChunk__Output> {
    return this.client.DownloadVersion({ model, version, offset: 0 }, new Metadata());
  }

  getReferenceStatistics(model: string, version: string): Promise<registryv1.ReferenceStatistics__Output> {
    return this.unary(`read the reference statistics of ${model}@${version}`, (md, opts, done) =>
      this.client.GetReferenceStatistics({ model, version }, md, opts, done),
    );
  }

  onModuleDestroy(): void {
    this.client.close();
  }

  private unary<T>(what: string, invoke: Parameters<typeof unaryCall<T>>[2]): Promise<T> {
    return unaryCall('registry', what, invoke);
  }
}
