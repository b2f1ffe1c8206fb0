import { parseInput, type ArtifactFormat } from '@aimass/contracts';
import {
  compressOnnxModel,
  type CompressionTarget,
  OnnxCompressionError,
  outputDifference,
  type OutputDifference,
  quantizeStaticInt8,
  staticCalibrationModel,
} from '@aimass/onnx';
import type { AimassConfig } from '@aimass/config';
import { FailedPreconditionError } from '@aimass/errors';
import { AIMASS_CONFIG } from '@aimass/runtime';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { ConvertRequestSchema, type ConvertRequest, type ReferenceStatistics } from '../dtos/registry.dto.js';
import { ArtifactRepository } from '../repositories/artifact.repository.js';
import { OnnxRuntimeRepository, type RuntimeOutput } from '../repositories/onnx-runtime.repository.js';
import { type CalibrationRows, rowsFromDataset, rowsFromStatistics } from './calibration-rows.js';
import { DatasetService } from './dataset.service.js';
import { type ConversionReport, type NamedDifference, pushParts } from './conversion-report.js';
import { singleFeatureInput } from './model-input.js';
import { RegistryService } from './registry.service.js';
import { TfjsToOnnxService } from './tfjs-to-onnx.service.js';

/**
 * ConvertModelVersion: a compressed copy of an ONNX version becomes the next version of its model.
 * Every check (target, version, format, signature, calibration rows, the conversion itself, both
 * models running in onnxruntime) happens before the push, and the push is the registry's ordinary
 * one, so a refused conversion leaves nothing behind.
 */
/** What to do instead, for a format compression does not read. */
const COMPRESS_HINT: Record<ArtifactFormat, string> = {
  onnx: '',
  tfjs: ' (convert a tfjs layers version with --to onnx first)',
  'onnx-external':
    ' (compression holds the whole ModelProto in memory, which external data exists to avoid: compress the model before saving its weights as external data)',
};

@Injectable()
export class ModelConversionService {
  private readonly logger = new Logger(ModelConversionService.name);

  constructor(
    private readonly registry: RegistryService,
    private readonly datasets: DatasetService,
    private readonly artifacts: ArtifactRepository,
    private readonly runtime: OnnxRuntimeRepository,
    private readonly tfjsToOnnx: TfjsToOnnxService,
    @Inject(AIMASS_CONFIG) private readonly config: AimassConfig,
  ) {}

  async convert(input: unknown, actor: string): Promise<ConversionReport> {
    const request = parseInput(ConvertRequestSchema, input, 'conversion request');
    const source = await this.registry.getVersion(request.model, request.version);
    const where = `version ${source.version} of "${source.model}"`;
    if (source.state !== 'READY')
      throw new FailedPreconditionError(`${where} is ${source.state}; only READY versions can be converted`);
    if (request.to === 'onnx') return this.tfjsToOnnx.convert(source, where, actor);
    const target = request.to;
    if (source.format !== 'onnx')
      throw new FailedPreconditionError(
        `${where} is in format ${source.format}; only ONNX versions can be compressed${COMPRESS_HINT[source.format]}`,
      );
    const { name: inputName, features } = singleFeatureInput(source, where, 'conversion runs');
    const statistics = source.reference_statistics_key
      ? await this.artifacts.getJson<ReferenceStatistics>(source.reference_statistics_key)
      : undefined;
    const rows = await this.calibrationRows(request, statistics, inputName, features, where);

    const bytes = new Uint8Array(await this.artifacts.getBuffer(source.artifact_key));
    let converted: Uint8Array;
    try {
      converted = await this.compress(bytes, target, rows, inputName, features);
    } catch (err) {
      if (err instanceof OnnxCompressionError)
        throw new FailedPreconditionError(`${where} cannot become ${target}: ${err.message}`, {
          cause: err,
        });
      throw err;
    }
    const outputs = await this.compare(bytes, converted, inputName, rows, features, target);

    const worst: OutputDifference = {
      maxRelative: Math.max(0, ...outputs.map((o) => o.maxRelative)),
      meanRelative: Math.max(0, ...outputs.map((o) => o.meanRelative)),
    };
    const header = {
      model: source.model,
      format: 'onnx',
      size_bytes: converted.length,
      description: `${request.to} copy of ${source.model}@${source.version}`,
      tags: source.tags,
      lineage: {
        parent_version: source.version,
        converted_from: `${source.model}@${source.version}`,
        conversion: request.to,
        dataset_digest: source.lineage.dataset_digest,
        metrics: {
          source_size_bytes: source.size_bytes,
          max_relative_difference: worst.maxRelative,
          mean_relative_difference: worst.meanRelative,
        },
      },
      ...(statistics ? { reference_statistics: statistics } : {}),
    };
    const version = await this.registry.pushVersion(pushParts(header, converted), actor);
    this.logger.log(
      { model: source.model, from: source.version, to: version.version, conversion: request.to },
      `${source.model}@${source.version} converted to ${request.to} as version ${version.version} (${source.size_bytes} → ${converted.length} bytes)`,
    );
    return {
      version,
      sourceSizeBytes: source.size_bytes,
      calibration: rows.source,
      calibrationRows: rows.rows,
      outputs,
      worst,
    };
  }

  private async calibrationRows(
    request: ConvertRequest,
    statistics: ReferenceStatistics | undefined,
    input: string,
    features: number,
    where: string,
  ): Promise<CalibrationRows> {
    const limit = this.config.registry.conversionRows;
    if (request.calibration_dataset) {
      const { record, dataset } = await this.datasets.read(
        request.calibration_dataset,
        request.calibration_dataset_version,
      );
      return rowsFromDataset(dataset, `dataset ${record.name} v${record.version}`, features, input, limit);
    }
    if (!statistics)
      throw new FailedPreconditionError(
        `${where} has no reference statistics to draw calibration rows from; name a calibration dataset (calibration_dataset, CLI --calibration) or attach statistics with SetReferenceStatistics`,
      );
    return rowsFromStatistics(statistics, features, input, limit);
  }

  /** int8-static calibrates each quantised activation's range on the rows first. */
  private async compress(
    bytes: Uint8Array,
    target: CompressionTarget,
    rows: CalibrationRows,
    input: string,
    features: number,
  ): Promise<Uint8Array> {
    if (target !== 'int8-static') return compressOnnxModel(bytes, target);
    const { model, activations } = staticCalibrationModel(bytes);
    const outputs = await this.runtime.run(model, input, rows.values, features);
    const ranges = new Map(
      activations.map((name) => {
        const values = outputs[name]!.data as Float32Array;
        let min = Infinity;
        let max = -Infinity;
        for (const v of values) {
          min = Math.min(min, v);
          max = Math.max(max, v);
        }
        return [name, { min, max }];
      }),
    );
    return quantizeStaticInt8(bytes, ranges);
  }

  /** Runs both models on the rows; the difference of every float output the two share. */
  private async compare(
    source: Uint8Array,
    converted: Uint8Array,
    input: string,
    rows: CalibrationRows,
    features: number,
    target: string,
  ): Promise<NamedDifference[]> {
    const before = await this.runtime.run(source, input, rows.values, features);
    let after: Record<string, RuntimeOutput>;
    try {
      after = await this.runtime.run(converted, input, rows.values, features);
    } catch (err) {
      throw new FailedPreconditionError(
        `the ${target} copy does not run in onnxruntime (${err instanceof Error ? err.message : String(err)}); nothing was stored`,
        { cause: err },
      );
    }
    return Object.entries(before)
      .filter(([name, out]) => out.type === 'float32' && after[name]?.type === 'float32')
      .map(([name, out]) => ({
        name,
        ...outputDifference(after[name]!.data as Float32Array, out.data as Float32Array),
      }));
  }
}
