import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { grpcKey, httpKey, loadConfig } from '../libs/config/src/config.js';
import { SERVICE_NAMES, SERVICES, type ServiceName } from '../libs/config/src/services.js';
import { SETTINGS } from '../libs/config/src/settings.js';
import { SERVICE_PROCESS_ENV } from '../libs/config/src/process-env.js';
import {
  addressesIn,
  copySources,
  dockerIgnorePatterns,
  dockerIgnores,
  expandSource,
  parseDockerfile,
  publishedPorts,
  readYaml,
  urlHostsIn,
} from './references.js';

// Docker cannot run in CI, so this file is the check on deploy/: it resolves every name, path, port
// and address that docker-compose.yml and the Dockerfile mention. The k8s manifests are checked in
// k8s.spec.ts against the same rules. Renaming a service, a folder or a setting breaks a test here.

const ROOT = resolve(__dirname, '..');
const DEPLOY = __dirname;
const KNOWN_KEYS = new Set<string>(SETTINGS.map((s) => s.key));

type ComposeService = {
  image?: string;
  build?: { context?: string; dockerfile?: string; args?: Record<string, string> };
  environment?: Record<string, string | number | boolean | null>;
  depends_on?: Record<string, { condition?: string }>;
  healthcheck?: { test: unknown };
  ports?: unknown;
  command?: unknown;
  entrypoint?: unknown;
  restart?: string;
};
const compose = readYaml(join(DEPLOY, 'docker-compose.yml')) as { services: Record<string, ComposeService> };
const services = compose.services;
const names = Object.keys(services);
const dockerfilePath = join(DEPLOY, 'Dockerfile');
const dockerfile = parseDockerfile(readFileSync(dockerfilePath, 'utf8'));

function envOf(svc: ComposeService): Record<string, string> {
  return Object.fromEntries(Object.entries(svc.environment ?? {}).map(([k, v]) => [k, String(v ?? '')]));
}
function builtFromOurDockerfile(svc: ComposeService): boolean {
  const b = svc.build;
  return (
    b !== undefined && resolve(DEPLOY, b.context ?? '.', b.dockerfile ?? 'Dockerfile') === dockerfilePath
  );
}
/** The compose service built with --build-arg SERVICE=<svc>, by SERVICE arg (not by its key). */
function appServices(): [string, ComposeService, ServiceName][] {
  return names
    .filter((n) => builtFromOurDockerfile(services[n]!))
    .map((n) => [n, services[n]!, services[n]!.build!.args!.SERVICE as ServiceName]);
}
function ownKeys(svc: ServiceName): string[] {
  return [grpcKey(svc), httpKey(svc)];
}

describe('docker-compose.yml', () => {
  it('runs each of the five services exactly once, under its own name', () => {
    const built = appServices().map(([name, , arg]) => ({ name, arg }));
    for (const svc of SERVICE_NAMES) {
      expect(
        built.filter((b) => b.arg === svc),
        `compose services built with SERVICE=${svc}`,
      ).toHaveLength(1);
      expect(built.find((b) => b.arg === svc)!.name, `compose service for SERVICE=${svc}`).toBe(svc);
    }
    expect(built.map((b) => b.arg).sort()).toEqual([...SERVICE_NAMES].sort());
  });

  it('builds from a Dockerfile that exists, for a SERVICE whose package exists', () => {
    for (const [name, svc] of Object.entries(services).filter(([, s]) => s.build !== undefined)) {
      const b = svc.build!;
      const context = resolve(DEPLOY, b.context ?? '.');
      expect(
        existsSync(join(context, 'pnpm-workspace.yaml')),
        `${name}: build context ${context} is the repo root`,
      ).toBe(true);
      expect(existsSync(join(context, b.dockerfile ?? 'Dockerfile')), `${name}: build.dockerfile`).toBe(true);
      const arg = b.args?.SERVICE;
      expect(arg, `${name}: build arg SERVICE`).toBeTypeOf('string');
      const pkgPath = join(ROOT, 'services', arg!, 'package.json');
      expect(existsSync(pkgPath), `${name}: SERVICE=${arg} needs services/${arg}/package.json`).toBe(true);
      // The Dockerfile installs with --filter "@aimass/$SERVICE...", so the package name must follow.
      expect((JSON.parse(readFileSync(pkgPath, 'utf8')) as { name: string }).name).toBe(`@aimass/${arg}`);
      expect(svc.image, `${name}: image name`).toBe(`aimass/${arg}:${rootVersion()}`);
    }
  });

  it('depends only on defined services, with conditions those services can meet', () => {
    for (const [name, svc] of Object.entries(services)) {
      for (const [target, dep] of Object.entries(svc.depends_on ?? {})) {
        expect(names, `${name} depends_on ${target}`).toContain(target);
        const t = services[target]!;
        if (dep.condition === 'service_healthy') {
          expect(
            t.healthcheck !== undefined || builtFromOurDockerfile(t),
            `${target} needs a healthcheck`,
          ).toBe(true);
        } else if (dep.condition === 'service_completed_successfully') {
          expect(t.restart ?? 'no', `${target} must be allowed to exit`).toBe('no');
        } else {
          expect(dep.condition, `${name} depends_on ${target}`).toBe('service_started');
        }
      }
    }
  });

  it('gives each service only known AIMASS_* settings, with values the config loader accepts', () => {
    for (const [name, svc] of appServices()) {
      const env = envOf(svc);
      for (const key of Object.keys(env)) expect(KNOWN_KEYS, `${name}: ${key}`).toContain(key);
      expect(() => loadConfig(env), name).not.toThrow();
    }
  });

  it('has every service listen on 0.0.0.0 under its own keys, on a port it publishes', () => {
    for (const [name, svc, arg] of appServices()) {
      const targets = publishedPorts(svc.ports).map((p) => p.target);
      for (const key of ownKeys(arg)) {
        const [addr] = addressesIn(envOf(svc)[key] ?? '');
        expect(addr?.host, `${name}: ${key} must listen on 0.0.0.0`).toBe('0.0.0.0');
        expect(targets, `${name}: ${key} port is published`).toContain(addr!.port);
      }
    }
  });

  it('listens and is dialled on the ports of the SERVICES table in libs/config', () => {
    for (const [name, svc, arg] of appServices()) {
      const spec = SERVICES.find((s) => s.name === arg)!;
      for (const { key, port } of [spec.grpc, spec.http]) {
        expect(addressesIn(envOf(svc)[key] ?? '')[0]?.port, `${name}: ${key} listens on ${port}`).toBe(port);
      }
    }
    for (const [name, svc, arg] of appServices()) {
      for (const spec of SERVICES.filter((s) => s.name !== arg)) {
        for (const { key, port } of [spec.grpc, spec.http]) {
          const value = envOf(svc)[key];
          if (value === undefined) continue;
          expect(addressesIn(value)[0], `${name}: ${key}=${value}`).toEqual({ host: spec.name, port });
        }
      }
    }
  });

  it('dials other services by compose service name and the port that service listens on', () => {
    const listenPort = new Map<string, number>();
    for (const [, svc, arg] of appServices()) {
      for (const key of ownKeys(arg)) listenPort.set(key, addressesIn(envOf(svc)[key]!)[0]!.port);
    }
    for (const [name, svc, arg] of appServices()) {
      for (const [key, value] of Object.entries(envOf(svc))) {
        if (ownKeys(arg).includes(key)) continue;
        for (const { host, port } of addressesIn(value)) {
          expect(names, `${name}: ${key}=${value} names an undefined host`).toContain(host);
          const owner = SERVICE_NAMES.find((s) => ownKeys(s).includes(key));
          if (owner !== undefined) {
            expect(host, `${name}: ${key}`).toBe(owner);
            expect(port, `${name}: ${key} port vs what ${owner} listens on`).toBe(listenPort.get(key));
          } else {
            const exposed = publishedPorts(services[host]!.ports).map((p) => p.target);
            expect(exposed, `${name}: ${key}=${value}, is port ${port} one ${host} serves?`).toContain(port);
          }
        }
      }
    }
  });

  it('gives all five services the same view of everything they do not own', () => {
    const apps = appServices();
    for (const spec of SETTINGS) {
      // AIMASS_<SVC>_* keys are that service's own business; everyone else must agree (unset = default).
      const others = apps.filter(([, , arg]) => !spec.key.startsWith(`AIMASS_${arg.toUpperCase()}_`));
      const seen = new Set(others.map(([, s]) => envOf(s)[spec.key] ?? spec.default));
      expect(
        seen.size,
        `${spec.key} differs between services: ${[...seen].join(' vs ')}`,
      ).toBeLessThanOrEqual(1);
    }
  });

  it('names only compose services in URLs inside commands and plain env values', () => {
    for (const [name, svc] of Object.entries(services)) {
      const plainEnv = Object.entries(envOf(svc)).filter(([k]) => !k.startsWith('AIMASS_'));
      const text = JSON.stringify([svc.command ?? '', svc.entrypoint ?? '', plainEnv]);
      for (const host of urlHostsIn(text)) expect(names, `${name} refers to ${host}`).toContain(host);
    }
  });

  it('publishes no host port twice', () => {
    const seen = new Map<string, string>();
    for (const [name, svc] of Object.entries(services)) {
      for (const p of publishedPorts(svc.ports)) {
        const key = `${p.hostIp}:${p.published}`;
        expect(seen.get(key), `${name} and ${seen.get(key)} both publish ${key}`).toBeUndefined();
        seen.set(key, name);
      }
    }
  });

  it('creates the bucket the services use, with the credentials they use', () => {
    const env = envOf(appServices()[0]![1]);
    const init = JSON.stringify(services['minio-init']?.command);
    expect(init).toContain(`/${env.AIMASS_S3_BUCKET}`);
    expect(envOf(services.minio!).MINIO_ROOT_USER).toBe(env.AIMASS_S3_ACCESS_KEY);
    expect(envOf(services.minio!).MINIO_ROOT_PASSWORD).toBe(env.AIMASS_S3_SECRET_KEY);
  });
});

describe('Dockerfile', () => {
  const stages = dockerfile.filter((i) => i.keyword === 'FROM');
  const globalArgs = dockerfile.filter((i) => i.stage === -1 && i.keyword === 'ARG');
  const ignore = dockerIgnorePatterns(readFileSync(join(DEPLOY, 'Dockerfile.dockerignore'), 'utf8'));

  it('builds on node:24-bookworm-slim and declares ARG SERVICE in every stage that uses it', () => {
    const image = stages[0]!.args.split(/\s+/)[0]!;
    const m = /^\$\{(\w+)\}$/.exec(image);
    const resolved = m ? globalArgs.find((a) => a.args.startsWith(`${m[1]}=`))?.args.split('=')[1] : image;
    expect(resolved).toBe('node:24-bookworm-slim');
    for (const stage of stages.keys()) {
      const body = dockerfile.filter((i) => i.stage === stage && i.keyword !== 'FROM');
      if (body.some((i) => i.args.includes('SERVICE'))) {
        expect(
          body.some((i) => i.keyword === 'ARG' && i.args === 'SERVICE'),
          `stage ${stage}: ARG SERVICE`,
        ).toBe(true);
      }
    }
  });

  it("runs every service with the process settings of libs/config's SERVICE_PROCESS_ENV", () => {
    const runtime = stages.length - 1;
    const env = dockerfile
      .filter((i) => i.stage === runtime && i.keyword === 'ENV')
      .flatMap((i) => i.args.split(/\s+/))
      .map((pair) => [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)]);
    for (const [key, value] of Object.entries(SERVICE_PROCESS_ENV))
      expect(Object.fromEntries(env)[key], key).toBe(value);
  });

  it('copies only paths that exist and that the dockerignore lets through', () => {
    const stageNames = stages.map((s) => s.args.split(/\s+as\s+/i)[1]);
    for (const copy of dockerfile.filter((i) => i.keyword === 'COPY' || i.keyword === 'ADD')) {
      const { sources, from } = copySources(copy.args);
      if (from !== undefined) {
        expect(stageNames, `COPY --from=${from}`).toContain(from);
        continue;
      }
      for (const source of sources) {
        const matches = expandSource(ROOT, source);
        expect(matches.length, `COPY ${source}: nothing in the repo matches`).toBeGreaterThan(0);
        for (const m of matches) expect(dockerIgnores(ignore, m), `COPY ${m} is dockerignored`).toBe(false);
      }
    }
  });

  it('copies every workspace package the lockfile lists, so the frozen install can succeed', () => {
    const lock = readYaml(join(ROOT, 'pnpm-lock.yaml')) as { importers: Record<string, unknown> };
    const copied = dockerfile
      .filter((i) => i.keyword === 'COPY' && copySources(i.args).from === undefined)
      .flatMap((i) => copySources(i.args).sources.flatMap((s) => expandSource(ROOT, s)));
    for (const importer of Object.keys(lock.importers).filter((i) => i !== '.')) {
      expect(
        copied.some((c) => importer === c || importer.startsWith(`${c}/`)),
        `${importer} is copied`,
      ).toBe(true);
    }
  });

  it('builds GPU=false on the plain Node image, GPU=true with Vulkan and the NVIDIA ICD manifest', () => {
    const stageNames = stages.map((s) => s.args.split(/\s+as\s+/i)[1]);
    const body = (name: string) => {
      expect(stageNames, `stage ${name}`).toContain(name);
      return dockerfile.filter((i) => i.stage === stageNames.indexOf(name) && i.keyword !== 'FROM');
    };
    expect(globalArgs.map((a) => a.args)).toContain('GPU=false');
    const runtimeBase = stages.at(-1)!.args.split(/\s+/)[0]!;
    expect(runtimeBase).toContain('${GPU}');

    const plain = runtimeBase.replace('${GPU}', 'false');
    const baseImage = (stage: number) => stages[stage]!.args.split(/\s+/)[0];
    expect(baseImage(stageNames.indexOf(plain)), plain).toBe(baseImage(0));
    expect(body(plain), `${plain} adds nothing`).toEqual([]);

    const gpu = body(runtimeBase.replace('${GPU}', 'true'));
    const run = gpu
      .filter((i) => i.keyword === 'RUN')
      .map((i) => i.args)
      .join('\n');
    expect(run).toMatch(/apt-get install [^&]*\blibvulkan1\b/);
    // The manifest is printf'd line by line: the quoted arguments after the format are its lines.
    const icd = /printf '%s\\n' ((?:'[^']*'\s*)+)>\s*(\S+)/.exec(run);
    expect(icd?.[2]).toBe('/etc/vulkan/icd.d/nvidia_icd.json');
    const manifest = JSON.parse([...icd![1]!.matchAll(/'([^']*)'/g)].map((m) => m[1]).join('\n')) as {
      ICD: { library_path: string; api_version: string };
    };
    expect(manifest.ICD.library_path).toBe('libGLX_nvidia.so.0');
    expect(manifest.ICD.api_version).toMatch(/^1\.\d+\.\d+$/);
    const env = gpu
      .filter((i) => i.keyword === 'ENV')
      .map((i) => i.args)
      .join(' ');
    expect(env).toMatch(/\bNVIDIA_DRIVER_CAPABILITIES=\S*\bgraphics\b/);
  });

  it('keeps host node_modules and build output out of the image', () => {
    expect(dockerIgnores(ignore, 'node_modules')).toBe(true);
    expect(dockerIgnores(ignore, 'libs/config/node_modules')).toBe(true);
    expect(dockerIgnores(ignore, 'services/registry/dist')).toBe(true);
  });

  it('runs the build script that exists, as node, with a healthcheck it ships, starting the chosen service', () => {
    for (const run of dockerfile.filter((i) => i.keyword === 'RUN')) {
      for (const m of run.args.matchAll(/\bbash\s+([\w./-]+)/g))
        expect(existsSync(join(ROOT, m[1]!)), m[1]).toBe(true);
    }
    const last = dockerfile.filter((i) => i.stage === stages.length - 1);
    expect(last.find((i) => i.keyword === 'USER')?.args).toBe('node');
    const health = last.find((i) => i.keyword === 'HEALTHCHECK')!.args;
    const script = /deploy\/healthcheck\.mjs/.exec(health)![0];
    const shipped = last.filter((i) => i.keyword === 'COPY').flatMap((i) => copySources(i.args).sources);
    expect(shipped).toContain(script);
    expect(last.find((i) => i.keyword === 'CMD')?.args).toContain('node services/${SERVICE}/dist/main.js');
  });
});

function rootVersion(): string {
  return (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
}
