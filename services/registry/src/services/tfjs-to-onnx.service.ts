import { FailedPreconditionError } from '@aimass/errors';
import { outputDifference } from '@aimass/onnx';
import { SeededRandom } from '@aimass/random';
import {
  convertLayersModelToOnnx,
  type LayersOnnxExport,
  type TfjsArtifact,
  TfjsConversionError,
  TfjsLayoutError,
  unpackTfjsArtifact,
} from '@aimass/tfjs';
import { Injectable, Logger } from '@nestjs/common';
import type { VersionView } from '../records/records.js';
import { ArtifactRepository } from '../repositories/artifact.repository.js';
import { OnnxRuntimeRepository } from '../repositories/onnx-runtime.repository.js';
import { TfjsRuntimeRepository } from '../repositories/tfjs-runtime.repository.js';
import { pushParts, type ConversionReport } from './conversion-report.js';
import { RegistryService } from './registry.service.js';

/** Rows both models run on: few, since an image row can hold thousands of values. */
const CHECK_ROWS = 16;
const CHECK_SEED = 0x7f150;
/**
 * The largest max |onnx − tfjs| / max |tfjs| stored: float32 rounding stays orders of magnitude
 * below; past it the conversion is wrong for this model, and storing it would serve wrong answers.
 */
export const MAX_CONVERSION_DIFFERENCE = 1e-4;

/**
 * ConvertModelVersion --to onnx: the ONNX form of a tfjs layers version becomes the next version
 * of its model. The converted model and the tfjs one both run on the same rows before the push, and
 * their largest difference is the report; a refused conversion stores nothing.
 */
@Injectable()
export class TfjsToOnnxService {
  private readonly logger = new Logger(TfjsToOnnxService.name);

  constructor(
    private readonly registry: RegistryService,
    private readonly artifacts: ArtifactRepository,
    private readonly onnxRuntime: OnnxRuntimeRepository,
    private readonly tfjsRuntime: TfjsRuntimeRepository,
  ) {}

  async convert(source: VersionView, where: string, actor: string): Promise<ConversionReport> {
    if (source.format !== 'tfjs')
      throw new FailedPreconditionError(
        `${where} is a ${source.format} artifact; --to onnx converts tfjs layers versions (compress an ONNX version with fp16, int8-dynamic or int8-static)`,
      );
    const artifact = await this.unpack(source, where);
    let converted: LayersOnnxExport;
    try {
      converted = convertLayersModelToOnnx({
        modelJson: artifact.modelJson,
        weightData: new Uint8Array(artifact.weightData),
      });
    } catch (err) {
      if (err instanceof TfjsConversionError)
        throw new FailedPreconditionError(`${where} cannot become ONNX: ${err.message}`, { cause: err });
      throw err;
    }

    const rows = normalRows(CHECK_ROWS * converted.input.shape.reduce((a, d) => a * d, 1));
    const expected = await this.tfjsRuntime.predict(artifact, rows, converted.input.shape);
    let outputs;
    try {
      outputs = await this.onnxRuntime.run(converted.onnx, converted.input.name, rows, converted.input.shape);
    } catch (err) {
      throw new FailedPreconditionError(
        `the ONNX form of ${where} does not run in onnxruntime (${err instanceof Error ? err.message : String(err)}); nothing was stored`,
        { cause: err },
      );
    }
    const difference = outputDifference(outputs[converted.output.name]!.data as Float32Array, expected);
    if (!(difference.maxRelative <= MAX_CONVERSION_DIFFERENCE))
      throw new FailedPreconditionError(
        `the ONNX form of ${where} gives outputs ${difference.maxRelative} (max relative) away from tfjs's, over the ${MAX_CONVERSION_DIFFERENCE} allowed; nothing was stored (the converter mishandles one of its layers: please report the model)`,
      );

    const header = {
      model: source.model,
      format: 'onnx',
      size_bytes: converted.onnx.length,
      description: `ONNX form of ${source.model}@${source.version} (tfjs layers)`,
      tags: source.tags,
      lineage: {
        parent_version: source.version,
        converted_from: `${source.model}@${source.version}`,
        conversion: 'onnx',
        dataset_digest: source.lineage.dataset_digest,
        metrics: {
          source_size_bytes: source.size_bytes,
          max_relative_difference: difference.maxRelative,
          mean_relative_difference: difference.meanRelative,
        },
      },
      ...(source.reference_statistics_key
        ? { reference_statistics: await this.artifacts.getJson(source.reference_statistics_key) }
        : {}),
    };
    const version = await this.registry.pushVersion(pushParts(header, converted.onnx), actor);
    this.logger.log(
      { model: source.model, from: source.version, to: version.version, conversion: 'onnx' },
      `${source.model}@${source.version} (tfjs) converted to ONNX as version ${version.version}, max relative difference ${difference.maxRelative}`,
    );
    return {
      version,
      sourceSizeBytes: source.size_bytes,
      calibration: `random normal rows (seed ${CHECK_SEED})`,
      calibrationRows: CHECK_ROWS,
      outputs: [{ name: converted.output.name, ...difference }],
      worst: difference,
    };
  }

  private async unpack(source: VersionView, where: string): Promise<TfjsArtifact> {
    try {
      return await unpackTfjsArtifact(new Uint8Array(await this.artifacts.getBuffer(source.artifact_key)));
    } catch (err) {
      if (err instanceof TfjsLayoutError)
        throw new FailedPreconditionError(`${where} cannot be read as a tfjs model: ${err.message}`, {
          cause: err,
        });
      throw err;
    }
  }
}

/** Standard normal values from a fixed seed (Box–Muller), so one version always gets the same check. */
function normalRows(count: number): Float32Array {
  const rng = new SeededRandom(CHECK_SEED);
  return Float32Array.from(
    { length: count },
    () => Math.sqrt(-2 * Math.log(1 - rng.next())) * Math.cos(2 * Math.PI * rng.next()),
  );
}
