import { FailedPreconditionError } from '@aimass/errors';
import type { VersionView } from '../records/records.js';

/**
 * The one FP32 input [batch, features] a version must have for the registry to run it on rows
 * (conversion's calibration, card verification); `use` says what runs it, for the refusal.
 */
export function singleFeatureInput(
  version: VersionView,
  where: string,
  use: string,
): { name: string; features: number } {
  const inputs = version.signature.inputs;
  const input = inputs[0];
  const features = input?.shape.at(-1) ?? -1;
  if (inputs.length !== 1 || !input || input.datatype !== 'FP32' || input.shape.length !== 2 || features < 1)
    throw new FailedPreconditionError(
      `${where} takes ${inputs.map((i) => `${i.name} ${i.datatype}[${i.shape.join(',')}]`).join(', ') || 'no inputs'}; ${use} models with one FP32 input [batch, features]`,
    );
  return { name: input.name, features };
}
