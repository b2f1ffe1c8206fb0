import { requireGrant } from '@aimass/runtime';
import type { registryv1 } from '@aimass/contracts';
import { replyUnary } from '@aimass/grpc';
import type { Metadata, sendUnaryData, ServerReadableStream, ServerWritableStream } from '@grpc/grpc-js';
import { Controller } from '@nestjs/common';
import { GrpcMethod, GrpcStreamCall } from '@nestjs/microservices';
import type { Observable } from 'rxjs';
import {
  actorOf,
  toAliasChangeMessage,
  toConversionMessage,
  toDatasetMessage,
  toDownloadMessages,
  toModelMessage,
  toVersionMessage,
} from './registry.mapping.js';
import { WRITE_WINDOW, writeAll } from './server-stream.js';
import { AliasService } from '../services/alias.service.js';
import { ArtifactDownloadService } from '../services/artifact-download.service.js';
import { DatasetService } from '../services/dataset.service.js';
import { ModelCatalogService } from '../services/model-catalog.service.js';
import { CardVerificationService } from '../services/card-verification.service.js';
import { ModelConversionService } from '../services/model-conversion.service.js';
import { RegistryService } from '../services/registry.service.js';

@Controller()
export class RegistryGrpcController {
  constructor(
    private readonly registry: RegistryService,
    private readonly catalog: ModelCatalogService,
    private readonly aliases: AliasService,
    private readonly downloads: ArtifactDownloadService,
    private readonly datasets: DatasetService,
    private readonly conversions: ModelConversionService,
    private readonly verification: CardVerificationService,
  ) {}

  @GrpcStreamCall('RegistryService', 'PushDataset')
  pushDataset(
    call: ServerReadableStream<registryv1.PushDatasetRequest__Output, registryv1.Dataset>,
    callback: sendUnaryData<registryv1.Dataset>,
  ): Promise<void> {
    return replyUnary(
      callback,
      this.datasets
        .push(
          call,
          actorOf(call.metadata),
          () => call.cancelled,
          (name) => requireGrant(call.metadata, 'models:write', name),
        )
        .then(toDatasetMessage),
    );
  }

  @GrpcMethod('RegistryService', 'GetDataset')
  async getDataset(req: registryv1.GetDatasetRequest__Output): Promise<registryv1.Dataset> {
    return toDatasetMessage(await this.datasets.get(req.name, req.version));
  }

  @GrpcMethod('RegistryService', 'ListDatasets')
  async listDatasets(req: registryv1.ListDatasetsRequest__Output): Promise<registryv1.ListDatasetsResponse> {
    return { datasets: (await this.datasets.list(req.name)).map(toDatasetMessage) };
  }

  @GrpcMethod('RegistryService', 'CreateModel')
  async createModel(req: registryv1.CreateModelRequest__Output, md: Metadata): Promise<registryv1.Model> {
    return toModelMessage(await this.catalog.createModel(req, actorOf(md)));
  }

  @GrpcMethod('RegistryService', 'GetModel')
  async getModel(req: registryv1.GetModelRequest__Output): Promise<registryv1.Model> {
    return toModelMessage(await this.catalog.getModel(req.name));
  }

  @GrpcMethod('RegistryService', 'UpdateModel')
  async updateModel(req: registryv1.UpdateModelRequest__Output, md: Metadata): Promise<registryv1.Model> {
    return toModelMessage(await this.catalog.updateModel(req, actorOf(md)));
  }

  @GrpcMethod('RegistryService', 'ListModels')
  async listModels(req: registryv1.ListModelsRequest__Output): Promise<registryv1.ListModelsResponse> {
    const page = await this.catalog.listModels(req);
    return {
      models: page.models.map(toModelMessage),
      next_page_token: page.next_page_token,
      total_size: page.total_size,
    };
  }

  @GrpcStreamCall('RegistryService', 'PushVersion')
  pushVersion(
    call: ServerReadableStream<registryv1.PushVersionRequest__Output, registryv1.ModelVersion>,
    callback: sendUnaryData<registryv1.ModelVersion>,
  ): Promise<void> {
    return replyUnary(
      callback,
      this.registry
        .pushVersion(
          call,
          actorOf(call.metadata),
          () => call.cancelled,
          (model) => requireGrant(call.metadata, 'models:write', model),
        )
        .then(toVersionMessage),
    );
  }

  @GrpcMethod('RegistryService', 'GetVersion')
  async getVersion(req: registryv1.GetVersionRequest__Output): Promise<registryv1.ModelVersion> {
    return toVersionMessage(await this.registry.getVersion(req.model, req.version));
  }

  @GrpcMethod('RegistryService', 'ListVersions')
  async listVersions(req: registryv1.ListVersionsRequest__Output): Promise<registryv1.ListVersionsResponse> {
    return {
      versions: (await this.registry.listVersions(req.model, req.include_deleted)).map(toVersionMessage),
    };
  }

  @GrpcMethod('RegistryService', 'DownloadVersion')
  downloadVersion(
    req: registryv1.DownloadVersionRequest__Output,
    _md: Metadata,
    call: ServerWritableStream<unknown, registryv1.DownloadVersionChunk>,
  ): Promise<Observable<never>> {
    const parts = this.downloads.download(req.model, req.version, Number(req.offset), WRITE_WINDOW);
    return writeAll(call, toDownloadMessages(parts));
  }

  @GrpcMethod('RegistryService', 'SetVersionState')
  async setVersionState(
    req: registryv1.SetVersionStateRequest__Output,
    md: Metadata,
  ): Promise<registryv1.ModelVersion> {
    return toVersionMessage(
      await this.registry.setVersionState(req.model, req.version, req.state, actorOf(md)),
    );
  }

  @GrpcMethod('RegistryService', 'SetReferenceStatistics')
  async setReferenceStatistics(
    req: registryv1.SetReferenceStatisticsRequest__Output,
    md: Metadata,
  ): Promise<registryv1.ModelVersion> {
    return toVersionMessage(
      await this.registry.setReferenceStatistics(req.model, req.version, req.statistics, actorOf(md)),
    );
  }

  @GrpcMethod('RegistryService', 'GetReferenceStatistics')
  getReferenceStatistics(req: registryv1.GetVersionRequest__Output): Promise<registryv1.ReferenceStatistics> {
    return this.registry.getReferenceStatistics(
      req.model,
      req.version,
    ) as Promise<registryv1.ReferenceStatistics>;
  }

  @GrpcMethod('RegistryService', 'SetAlias')
  setAlias(req: registryv1.SetAliasRequest__Output, md: Metadata): Promise<registryv1.Alias> {
    return this.aliases.setAlias(req.model, req.alias, req.version, actorOf(md));
  }

  @GrpcMethod('RegistryService', 'DeleteAlias')
  deleteAlias(req: registryv1.DeleteAliasRequest__Output, md: Metadata): Promise<registryv1.Alias> {
    return this.aliases.deleteAlias(req.model, req.alias, actorOf(md));
  }

  @GrpcMethod('RegistryService', 'ListAliasHistory')
  async listAliasHistory(
    req: registryv1.ListAliasHistoryRequest__Output,
  ): Promise<registryv1.ListAliasHistoryResponse> {
    return { changes: (await this.aliases.history(req.model, req.alias)).map(toAliasChangeMessage) };
  }

  @GrpcMethod('RegistryService', 'ConvertModelVersion')
  async convertModelVersion(
    req: registryv1.ConvertModelVersionRequest__Output,
    md: Metadata,
  ): Promise<registryv1.ConvertModelVersionResponse> {
    return toConversionMessage(await this.conversions.convert(req, actorOf(md)));
  }

  @GrpcMethod('RegistryService', 'VerifyModelCard')
  async verifyModelCard(
    req: registryv1.VerifyModelCardRequest__Output,
    md: Metadata,
  ): Promise<registryv1.VerifyModelCardResponse> {
    const { model, version, results } = await this.verification.verify(req, actorOf(md));
    return { model: toModelMessage(model), version, results: [...results] };
  }
}
