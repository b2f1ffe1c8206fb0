import picomatch from 'picomatch';

/**
 * What a token may do. A grant is a scope, optionally narrowed to the model names matching a glob:
 * `infer` (every model), `infer:fraud-*`, `models:read:fraud-*`. Tokens carry grants in the standard
 * OAuth `scope` claim (space-separated), so any OIDC provider can issue them. `admin` allows
 * everything.
 */
export const SCOPES = [
  'models:read',
  'models:write',
  'aliases:write',
  'infer',
  'train',
  'tune',
  'studies:read',
  'admin',
] as const;
export type Scope = (typeof SCOPES)[number];

/**
 * Scopes a grant of another scope includes: whoever may run studies may read them. `studies:read`
 * alone is for readers such as the monitor's console, which must not start or end trials.
 */
const INCLUDES: Readonly<Partial<Record<Scope, readonly Scope[]>>> = { tune: ['studies:read'] };

function covers(granted: Scope, scope: Scope): boolean {
  return granted === scope || granted === 'admin' || (INCLUDES[granted]?.includes(scope) ?? false);
}

export interface Grant {
  readonly scope: Scope;
  /** The glob as written (`*` when the grant names no models). */
  readonly models: string;
  readonly matches: (model: string) => boolean;
}

export class ScopeSyntaxError extends Error {}

const ANY = (): boolean => true;

/** Longest scope name first, so `models:read:x` is not read as a scope `models` with glob `read:x`. */
const BY_LENGTH = [...SCOPES].sort((a, b) => b.length - a.length);

export function parseGrant(text: string): Grant {
  const scope = BY_LENGTH.find((s) => text === s || text.startsWith(`${s}:`));
  if (!scope)
    throw new ScopeSyntaxError(
      `unknown scope "${text}": expected one of ${SCOPES.join(', ')}, optionally followed by :MODEL-GLOB`,
    );
  const models = text.length > scope.length ? text.slice(scope.length + 1) : '*';
  if (models.length === 0) throw new ScopeSyntaxError(`scope "${text}" has an empty model glob`);
  return { scope, models, matches: models === '*' ? ANY : picomatch(models, { dot: true }) };
}

/**
 * The grants in a token's `scope` claim (a space-separated string, or an array as some providers
 * send). Entries that are not aimass scopes (`openid`, `profile`, …) are other services' business
 * and are skipped, so a token from a shared OIDC provider still works.
 */
export function grantsFromClaim(claim: unknown): Grant[] {
  const items = typeof claim === 'string' ? claim.split(/\s+/) : Array.isArray(claim) ? claim : [];
  const grants: Grant[] = [];
  for (const item of items) {
    if (typeof item !== 'string' || item.length === 0) continue;
    try {
      grants.push(parseGrant(item));
    } catch (err) {
      if (!(err instanceof ScopeSyntaxError)) throw err;
    }
  }
  return grants;
}

/**
 * Whether the grants allow `scope` on `model`. A call that names no model (a listing, a job by id)
 * needs the scope on every model: `models:read:fraud-*` does not list the other teams' models.
 */
export function allows(grants: readonly Grant[], scope: Scope, model?: string): boolean {
  return grants.some(
    (g) => covers(g.scope, scope) && (model === undefined ? g.models === '*' : g.matches(model)),
  );
}

/** Whether the grants allow `scope` on at least one model (a stream whose messages name theirs). */
export function allowsSome(grants: readonly Grant[], scope: Scope): boolean {
  return grants.some((g) => covers(g.scope, scope));
}

/** How a call's required grant is written in messages: `infer:fraud-v2`, `models:write`. */
export function describeNeed(scope: Scope, model?: string): string {
  return model === undefined ? scope : `${scope}:${model}`;
}
