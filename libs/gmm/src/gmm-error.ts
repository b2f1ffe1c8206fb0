// Errors raised while fitting or applying a Gaussian mixture. Every one is a caller mistake or a
// property of the caller's data (services map them to INVALID_ARGUMENT or a FAILED job), so the
// message says what to change.

export type GmmErrorReason =
  | 'invalid_option'
  | 'invalid_shape'
  | 'non_finite_data'
  | 'too_few_rows'
  | 'too_few_distinct_rows'
  | 'ill_conditioned'
  | 'invalid_model';

export class GmmError extends Error {
  override readonly name = 'GmmError';

  constructor(
    readonly reason: GmmErrorReason,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
