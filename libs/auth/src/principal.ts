import type { Grant } from './scopes.js';

/** Who made a call, as written into audit records. */
export interface Principal {
  /** The token's `sub`. */
  readonly subject: string;
  /** The token's `jti`, when it has one (tokens minted by aimass always do). */
  readonly tokenId?: string;
  readonly grants: readonly Grant[];
  /** Seconds since the epoch (`exp`). */
  readonly expiresAt?: number;
}

/** The caller when authentication is off: every write is still attributed, to this name. */
export const ANONYMOUS: Principal = { subject: 'anonymous', grants: [] };
