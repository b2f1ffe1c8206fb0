import { UnavailableError } from '@aimass/errors';

/**
 * The version a request reached is being unloaded (hot swap, unload, memory budget). It is
 * UNAVAILABLE to a caller, but the inference service retries once on the version the selector
 * resolves to now, so a swap does not fail requests.
 */
export class VersionUnloadingError extends UnavailableError {
  constructor(label: string) {
    super(`${label} is being unloaded; retry to reach the current version`);
  }
}
