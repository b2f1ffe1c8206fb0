import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { grpcKey, httpKey, loadConfig, SERVICE_NAMES } from '../libs/config/src/config.js';
import { SETTINGS } from '../libs/config/src/settings.js';
import { parseAllDocuments } from 'yaml';
import { addressesIn, readYaml, readYamlDocs } from './references.js';

// kubectl cannot run in CI, so this resolves every reference in deploy/k8s/: kustomization files,
// Service selectors and target ports, ConfigMap/Secret names and keys, probe ports, and each
// AIMASS_* address. The wiring must match docker-compose.yml (same dial addresses, same images).

const K8S = join(__dirname, 'k8s');
// kubectl parses with Go's YAML library, which rejects some YAML the JS parser accepts. Where it is
// installed, the manifests must also render with it; everything else here runs regardless.
const HAS_KUBECTL = spawnSync('kubectl', ['version', '--client'], { stdio: 'ignore' }).status === 0;
const KNOWN_KEYS = new Set<string>(SETTINGS.map((s) => s.key));

type Port = { name?: string; containerPort?: number; port?: number; targetPort?: number | string };
type EnvVar = { name: string; value?: string; valueFrom?: { secretKeyRef?: { name: string; key: string }; configMapKeyRef?: { name: string; key: string } } };
type Probe = { httpGet?: { port: number | string }; grpc?: { port: number }; tcpSocket?: { port: number | string } };
type Container = {
  name: string;
  image: string;
  env?: EnvVar[];
  envFrom?: { configMapRef?: { name: string }; secretRef?: { name: string } }[];
  ports?: Port[];
  readinessProbe?: Probe;
  livenessProbe?: Probe;
};
type PodSpec = { containers: Container[] };
type Resource = {
  kind: string;
  metadata: { name: string };
  data?: Record<string, string>;
  stringData?: Record<string, string>;
  spec?: {
    selector?: { matchLabels?: Record<string, string> } & Record<string, unknown>;
    serviceName?: string;
    ports?: Port[];
    template?: { metadata?: { labels?: Record<string, string> }; spec: PodSpec };
  };
};

const kustomization = readYaml(join(K8S, 'kustomization.yaml')) as { resources: string[] };
const files = readdirSync(K8S).filter((f) => /\.ya?ml$/.test(f) && f !== 'kustomization.yaml');
const resources = files.flatMap((f) => readYamlDocs(join(K8S, f)) as Resource[]);
const ofKind = (kind: string) => resources.filter((r) => r.kind === kind);
const workloads = resources.filter((r) => ['Deployment', 'StatefulSet', 'Job'].includes(r.kind));
const k8sServices = ofKind('Service');
const configMaps = new Map(ofKind('ConfigMap').map((c) => [c.metadata.name, c.data ?? {}]));
const secrets = new Map(ofKind('Secret').map((s) => [s.metadata.name, { ...s.data, ...s.stringData }]));

function deploymentOf(svc: string): Resource {
  const found = ofKind('Deployment').filter((d) => d.metadata.name === svc);
  expect(found, `Deployment ${svc}`).toHaveLength(1);
  return found[0]!;
}
function containerOf(svc: string): Container {
  return deploymentOf(svc).spec!.template!.spec.containers[0]!;
}
/** A container's effective environment: envFrom first, then env (which wins), refs resolved. */
function effectiveEnv(c: Container): Record<string, string> {
  const env: Record<string, string> = {};
  for (const from of c.envFrom ?? []) {
    if (from.configMapRef) Object.assign(env, configMaps.get(from.configMapRef.name));
    if (from.secretRef) Object.assign(env, secrets.get(from.secretRef.name));
  }
  for (const e of c.env ?? []) {
    const ref = e.valueFrom?.secretKeyRef ?? e.valueFrom?.configMapKeyRef;
    const source = e.valueFrom?.secretKeyRef ? secrets : configMaps;
    env[e.name] = ref ? (source.get(ref.name) as Record<string, string> | undefined)?.[ref.key] ?? '' : (e.value ?? '');
  }
  return env;
}
function servicePorts(name: string): number[] {
  return k8sServices.filter((s) => s.metadata.name === name).flatMap((s) => s.spec!.ports!.map((p) => p.port!));
}

describe('deploy/k8s', () => {
  it('lists every manifest in kustomization.yaml, and nothing that does not exist', () => {
    expect([...kustomization.resources].sort()).toEqual([...files].sort());
  });

  it('has one Deployment and one Service per aimass service, running the compose image', () => {
    const compose = readYaml(join(__dirname, 'docker-compose.yml')) as { services: Record<string, { image?: string }> };
    for (const svc of SERVICE_NAMES) {
      expect(k8sServices.filter((s) => s.metadata.name === svc), `Service ${svc}`).toHaveLength(1);
      expect(containerOf(svc).image, `${svc} image`).toBe(compose.services[svc]?.image);
    }
  });

  it('selects pods that exist, on ports those pods declare', () => {
    for (const w of workloads.filter((w) => w.kind !== 'Job')) {
      const labels = w.spec!.template!.metadata!.labels!;
      expect(labels, `${w.kind} ${w.metadata.name}: selector matches its pods`).toMatchObject(w.spec!.selector!.matchLabels!);
      if (w.spec!.serviceName !== undefined) expect(servicePorts(w.spec!.serviceName).length).toBeGreaterThan(0);
    }
    for (const s of k8sServices) {
      const selected = workloads.filter((w) => {
        const labels = w.spec!.template!.metadata?.labels ?? {};
        return Object.entries(s.spec!.selector!).every(([k, v]) => labels[k] === v);
      });
      expect(selected, `Service ${s.metadata.name} selects exactly one workload`).toHaveLength(1);
      const declared = selected[0]!.spec!.template!.spec.containers.flatMap((c) => c.ports ?? []);
      for (const p of s.spec!.ports!) {
        const target = p.targetPort ?? p.port;
        const ok = declared.some((d) => d.name === target || d.containerPort === target);
        expect(ok, `Service ${s.metadata.name} targetPort ${target}`).toBe(true);
      }
    }
  });

  it('resolves every ConfigMap and Secret reference, by name and key', () => {
    for (const w of workloads) {
      for (const c of w.spec!.template!.spec.containers) {
        for (const from of c.envFrom ?? []) {
          if (from.configMapRef) expect([...configMaps.keys()]).toContain(from.configMapRef.name);
          if (from.secretRef) expect([...secrets.keys()]).toContain(from.secretRef.name);
        }
        for (const e of c.env ?? []) {
          const ref = e.valueFrom?.secretKeyRef ?? e.valueFrom?.configMapKeyRef;
          if (!ref) continue;
          const source = e.valueFrom?.secretKeyRef ? secrets : configMaps;
          expect(Object.keys(source.get(ref.name) ?? {}), `${w.metadata.name}: ${e.name} from ${ref.name}`).toContain(ref.key);
        }
      }
    }
  });

  it('probes ports the container declares', () => {
    for (const w of workloads) {
      for (const c of w.spec!.template!.spec.containers) {
        for (const probe of [c.readinessProbe, c.livenessProbe].filter((p) => p !== undefined)) {
          const port = probe.httpGet?.port ?? probe.grpc?.port ?? probe.tcpSocket?.port;
          const ok = (c.ports ?? []).some((d) => d.name === port || d.containerPort === port);
          expect(ok, `${w.metadata.name}: probe port ${port}`).toBe(true);
        }
      }
    }
  });

  it('gives each service only known settings, valid to the config loader, listening on its own ports', () => {
    for (const svc of SERVICE_NAMES) {
      const c = containerOf(svc);
      const env = effectiveEnv(c);
      for (const key of Object.keys(env)) expect(KNOWN_KEYS, `${svc}: ${key}`).toContain(key);
      expect(() => loadConfig(env), svc).not.toThrow();
      for (const key of [grpcKey(svc), httpKey(svc)]) {
        const [addr] = addressesIn(env[key] ?? '');
        expect(addr?.host, `${svc}: ${key} listens on 0.0.0.0`).toBe('0.0.0.0');
        expect((c.ports ?? []).map((p) => p.containerPort), `${svc}: ${key} port`).toContain(addr!.port);
        expect(servicePorts(svc), `Service ${svc} exposes ${key}'s port`).toContain(addr!.port);
      }
    }
  });

  it('dials by Service name and port, exactly as docker-compose.yml does', () => {
    const compose = readYaml(join(__dirname, 'docker-compose.yml')) as {
      services: Record<string, { environment?: Record<string, string> }>;
    };
    const shared = configMaps.get('aimass-env')!;
    for (const [key, value] of Object.entries(shared)) {
      expect(KNOWN_KEYS, `aimass-env: ${key}`).toContain(key);
      for (const { host, port } of addressesIn(value)) {
        expect(servicePorts(host), `aimass-env: ${key}=${value}: Service ${host} with port ${port}`).toContain(port);
      }
      // Any compose service that does not own the key dials the same address.
      const dialer = SERVICE_NAMES.find((s) => ![grpcKey(s), httpKey(s)].includes(key as never))!;
      expect(String(compose.services[dialer]!.environment![key]), `${key} in compose vs k8s`).toBe(value);
    }
  });

  it.skipIf(!HAS_KUBECTL)('renders with kubectl kustomize into the same objects, all in the aimass namespace', () => {
    const run = spawnSync('kubectl', ['kustomize', K8S], { encoding: 'utf8' });
    expect(run.status, run.stderr).toBe(0);
    const rendered = parseAllDocuments(run.stdout).map((d) => d.toJS() as Resource & { metadata: { namespace?: string } });
    expect(rendered.map((r) => `${r.kind}/${r.metadata.name}`).sort()).toEqual(resources.map((r) => `${r.kind}/${r.metadata.name}`).sort());
    for (const r of rendered.filter((r) => r.kind !== 'Namespace')) expect(r.metadata.namespace, `${r.kind}/${r.metadata.name}`).toBe('aimass');
  });
});
