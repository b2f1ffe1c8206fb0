import type { Principal } from '@aimass/auth';
import { serviceAuthorization } from '@aimass/runtime';
import { CONSOLE_ACCESS } from '../auth/access-rules.js';

/**
 * Checks a console request as the gRPC guard checks a call: `method` names its rule in
 * CONSOLE_ACCESS, `authorization` is the request's Authorization header. With authentication off
 * every caller is ANONYMOUS.
 */
export function authorize(
  method: string,
  authorization: string | undefined,
  request: unknown,
): Promise<Principal> {
  return serviceAuthorization(CONSOLE_ACCESS).authorize(method, authorization, request);
}

export function authenticationOn(): boolean {
  return serviceAuthorization(CONSOLE_ACCESS).enabled;
}
