import { PermissionDeniedError } from '@aimass/errors';
import { ANONYMOUS, type Principal } from './principal.js';
import { allows, allowsSome, describeNeed, type Scope } from './scopes.js';
import type { TokenVerifier } from './token-verifier.js';

/**
 * How one RPC is authorised: open to anyone (health, reflection, server liveness), or a scope,
 * narrowed to the model the request names when `model` reads one from it.
 */
export type AccessRule =
  | { readonly open: true }
  | {
      readonly scope: Scope;
      readonly model?: (request: unknown) => string | undefined;
      /**
       * The model is named inside the stream (a push's header, each streamed inference): the call
       * opens on the scope for some model and the handler checks each named one (requireGrant).
       */
      readonly perMessage?: true;
    };

/** A service's rules, keyed by the gRPC path without its leading slash: `aimass.registry.v1.RegistryService/PushVersion`. */
export type AccessRules = Readonly<Record<string, AccessRule>>;

export const OPEN: AccessRule = { open: true };

/** A stream whose messages name their model; the handler checks each (requireGrant). */
export function scopePerMessage(scope: Scope): AccessRule {
  return { scope, perMessage: true };
}

/** A rule that reads the model name from a request field (`name`, `model_name`, …). */
export function scopeOn(scope: Scope, field?: string): AccessRule {
  if (field === undefined) return { scope };
  return {
    scope,
    model: (request) => {
      const value = (request as Record<string, unknown> | null | undefined)?.[field];
      return typeof value === 'string' && value.length > 0 ? value : undefined;
    },
  };
}

/**
 * One service's guard: every call is looked up in its rules (a method without a rule is refused,
 * so a new RPC is closed until someone decides who may call it), its token verified, and its scope
 * checked. With no verifier (authentication off) every ruled call passes as ANONYMOUS.
 */
export class CallAuthorization {
  constructor(
    private readonly rules: AccessRules,
    private readonly verifier: TokenVerifier | undefined,
  ) {}

  get enabled(): boolean {
    return this.verifier !== undefined;
  }

  async authorize(method: string, authorization: string | undefined, request: unknown): Promise<Principal> {
    const rule = this.rules[method];
    if (rule === undefined)
      throw new PermissionDeniedError(`${method} has no authorization rule; it is closed`);
    if ('open' in rule || this.verifier === undefined) return ANONYMOUS;
    const principal = await this.verifier.verifyHeader(authorization);
    const model = rule.model?.(request);
    const allowed = rule.perMessage
      ? allowsSome(principal.grants, rule.scope)
      : allows(principal.grants, rule.scope, model);
    if (!allowed) {
      const have = principal.grants.map((g) => (g.models === '*' ? g.scope : `${g.scope}:${g.models}`));
      throw new PermissionDeniedError(
        `${principal.subject} may not call ${method.slice(method.lastIndexOf('/') + 1)}: it needs the scope ${rule.perMessage ? `${rule.scope} (on some model)` : describeNeed(rule.scope, model)} (the token grants ${have.length > 0 ? have.join(' ') : 'none'})`,
      );
    }
    return principal;
  }
}
