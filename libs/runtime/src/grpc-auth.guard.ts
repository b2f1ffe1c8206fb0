import {
  CallAuthorization,
  type AccessRules,
  type Principal,
  type Scope,
  allows,
  describeNeed,
  verifierFromSettings,
} from '@aimass/auth';
import { assertWellFormed } from '@aimass/grpc';
import { PermissionDeniedError } from '@aimass/errors';
import type { Metadata } from '@grpc/grpc-js';
import type { CanActivate, ExecutionContext } from '@nestjs/common';
import { processConfig } from './runtime.module.js';

/** The metadata key the services read the caller's name from for audit records (registry actorOf). */
export const ACTOR_METADATA = 'x-aimass-actor';

const principals = new WeakMap<Metadata, Principal>();
const authorizations = new Map<AccessRules, CallAuthorization>();

/**
 * The process's CallAuthorization for its service's rules, built once from the settings
 * (AIMASS_AUTH_*): the Nest guard and any plain grpc-js handler of the same service share it and
 * its cache of verified tokens.
 */
export function serviceAuthorization(rules: AccessRules): CallAuthorization {
  let authorization = authorizations.get(rules);
  if (authorization === undefined) {
    authorization = new CallAuthorization(rules, verifierFromSettings(processConfig().auth));
    authorizations.set(rules, authorization);
  }
  return authorization;
}

/**
 * Records who made a call on its Metadata: later code reads it with principalOf, and audit records
 * get `subject (token id)` under x-aimass-actor, overwriting whatever the caller sent there, so
 * with authentication on nobody can write in another's name. With it off callers still name
 * themselves.
 */
export function attachPrincipal(metadata: Metadata, principal: Principal, enabled: boolean): void {
  principals.set(metadata, principal);
  if (enabled)
    metadata.set(
      ACTOR_METADATA,
      principal.tokenId === undefined
        ? principal.subject
        : `${principal.subject} (token ${principal.tokenId})`,
    );
}

export function principalOf(metadata: Metadata): Principal | undefined {
  return principals.get(metadata);
}

/**
 * For calls whose model is known only inside the request stream (a client-streamed push names its
 * model in the first message): the guard checked the scope on some model, this checks it on the
 * named one; `model` undefined needs the scope on every model. No-op with authentication off.
 */
export function requireGrant(metadata: Metadata, scope: Scope, model: string | undefined): void {
  // Every table's CallAuthorization is built from the same settings: any one says whether auth is on.
  if (!authorizations.values().next().value?.enabled) return;
  const principal = principals.get(metadata);
  if (principal && allows(principal.grants, scope, model)) return;
  throw new PermissionDeniedError(
    `${principal?.subject ?? 'the caller'} needs the scope ${describeNeed(scope, model)} for this call`,
  );
}

interface GrpcCall {
  getPath(): string;
  metadata: Metadata;
}

function isGrpcCall(value: unknown): value is GrpcCall {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as GrpcCall).getPath === 'function' &&
    typeof (value as GrpcCall).metadata === 'object'
  );
}

/**
 * The one guard of every service's gRPC surface (runService installs it with the service's rules).
 * Nest passes a gRPC handler (request, metadata, call), or the call alone for a pass-through
 * stream; NATS handlers carry no grpc-js call and are left to NATS's own permissions.
 */
export class GrpcAuthGuard implements CanActivate {
  constructor(private readonly authorization: CallAuthorization) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'rpc') return true;
    const args = context.getArgs<unknown[]>();
    const call = args.find(isGrpcCall);
    if (!call) return true;
    const request = isGrpcCall(args[0]) ? undefined : args[0];
    // Bytes that did not decode are the caller's mistake, answered before anything reads their fields.
    assertWellFormed(request);
    const principal = await this.authorization.authorize(
      call.getPath().slice(1),
      call.metadata.get('authorization')[0]?.toString(),
      request,
    );
    attachPrincipal(call.metadata, principal, this.authorization.enabled);
    return true;
  }
}
