import type { oip } from '@aimass/contracts';
import { InvalidArgumentError } from '@aimass/errors';

type Parameters = Record<string, oip.InferParameter__Output> | undefined;

/**
 * Request-level `parameters`. `timeout` (µs, as Triton defines it) tightens the deadline; any other
 * parameter is accepted and ignored, as Triton does for parameters its backend does not use. A
 * parameter with no value set is refused: the sender meant something we cannot read.
 */
export function deadlineWithParameters(parameters: Parameters, deadline: number): number {
  if (!parameters) return deadline;
  for (const [name, p] of Object.entries(parameters)) {
    if (!p || !p.parameter_choice)
      throw new InvalidArgumentError(
        `request parameter "${name}" has no value; set one of bool_param, int64_param, string_param, double_param, uint64_param`,
      );
  }
  const timeout = parameters.timeout;
  if (!timeout) return deadline;
  const raw =
    timeout.parameter_choice === 'int64_param'
      ? timeout.int64_param
      : timeout.parameter_choice === 'uint64_param'
        ? timeout.uint64_param
        : undefined;
  const us = Number(raw);
  if (raw === undefined || !Number.isSafeInteger(us) || us < 0) {
    throw new InvalidArgumentError(
      'request parameter "timeout" must be a non-negative int64_param or uint64_param in microseconds',
    );
  }
  return us === 0 ? deadline : Math.min(deadline, Date.now() + us / 1000);
}
