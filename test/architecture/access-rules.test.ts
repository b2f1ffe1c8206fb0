import { readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import protobuf from 'protobufjs';
import { describe, expect, it } from 'vitest';
import { INFERENCE_ACCESS } from '../../services/inference/src/auth/access-rules.js';
import { MONITOR_ACCESS } from '../../services/monitor/src/auth/access-rules.js';
import { REGISTRY_ACCESS } from '../../services/registry/src/auth/access-rules.js';
import { TRAINER_ACCESS } from '../../services/trainer/src/auth/access-rules.js';
import { TUNER_ACCESS } from '../../services/tuner/src/auth/access-rules.js';

// Every gRPC method in protos/ must have an authorization rule in the service that serves it, so a
// new RPC cannot ship open by accident (CallAuthorization also refuses a method without a rule at
// run time). Health and reflection are served outside Nest and stay open by design.

const ROOT = resolve(import.meta.dirname, '..', '..');
const PROTOS = join(ROOT, 'protos');
const ALWAYS_OPEN = /^grpc\.(health|reflection)\./;

const RULES_BY_PACKAGE: Record<string, Readonly<Record<string, unknown>>> = {
  'aimass.registry.v1': REGISTRY_ACCESS,
  'aimass.trainer.v1': TRAINER_ACCESS,
  'aimass.tuner.v1': TUNER_ACCESS,
  'aimass.monitor.v1': MONITOR_ACCESS,
  inference: INFERENCE_ACCESS,
};

function protoFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? protoFiles(join(dir, e.name)) : e.name.endsWith('.proto') ? [join(dir, e.name)] : [],
  );
}

/** `package.Service/Method` for every method of every service in protos/. */
function methodPaths(): string[] {
  const root = new protobuf.Root();
  root.resolvePath = (_origin, target) => (target.startsWith('/') ? target : join(PROTOS, target));
  root.loadSync(protoFiles(PROTOS), { keepCase: true });
  const paths: string[] = [];
  const walk = (ns: protobuf.NamespaceBase): void => {
    for (const nested of ns.nestedArray) {
      if (nested instanceof protobuf.Service)
        for (const m of nested.methodsArray) paths.push(`${nested.fullName.slice(1)}/${m.name}`);
      else if (nested instanceof protobuf.Namespace) walk(nested);
    }
  };
  walk(root);
  return paths;
}

describe('authorization rules', () => {
  const paths = methodPaths();

  it('finds the services in protos/', () => {
    expect(paths).toContain('aimass.registry.v1.RegistryService/PushVersion');
    expect(paths).toContain('inference.GRPCInferenceService/ModelInfer');
  });

  it('every method has a rule in the service that serves it', () => {
    const missing = paths
      .filter((p) => !ALWAYS_OPEN.test(p))
      .filter((p) => {
        const pkg = p.slice(0, p.lastIndexOf('.', p.indexOf('/')));
        return !(p in (RULES_BY_PACKAGE[pkg] ?? {}));
      });
    expect(
      missing,
      'methods without an authorization rule (add them to the service src/auth/access-rules.ts)',
    ).toEqual([]);
  });

  it('no rule names a method that does not exist', () => {
    const known = new Set(paths);
    const stale = Object.values(RULES_BY_PACKAGE)
      .flatMap((rules) => Object.keys(rules))
      .filter((p) => !ALWAYS_OPEN.test(p) && !known.has(p));
    expect(stale).toEqual([]);
  });
});
