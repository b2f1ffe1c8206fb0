import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { grpcKey, httpKey, loadConfig } from '../libs/config/src/config.js';
import { SERVICE_NAMES, SERVICES, type ServiceName } from '../libs/config/src/services.js';
import { SETTINGS } from '../libs/config/src/settings.js';
import { STREAMS, trainerPoolConsumer } from '../libs/contracts/src/streams.js';
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
// Read by the NVIDIA container toolkit when it starts a container that has a GPU, not by aimass.
const GPU_RUNTIME_KEYS = new Set(['NVIDIA_DRIVER_CAPABILITIES']);
const GPU = 'nvidia.com/gpu';

type Port = { name?: string; containerPort?: number; port?: number; targetPort?: number | string };
type EnvVar = {
  name: string;
  value?: string;
  valueFrom?: {
    secretKeyRef?: { name: string; key: string };
    configMapKeyRef?: { name: string; key: string };
  };
};
type Probe = {
  httpGet?: { port: number | string };
  grpc?: { port: number };
  tcpSocket?: { port: number | string };
};
type Container = {
  name: string;
  image: string;
  env?: EnvVar[];
  envFrom?: { configMapRef?: { name: string }; secretRef?: { name: string } }[];
  ports?: Port[];
  readinessProbe?: Probe;
  livenessProbe?: Probe;
};
type Quantities = Record<string, string | number>;
type PodSpec = {
  containers: (Container & { args?: string[]; resources?: { requests?: Quantities; limits?: Quantities } })[];
  nodeSelector?: Record<string, string>;
  tolerations?: { key?: string; operator?: string; effect?: string }[];
};
type Resource = {
  kind: string;
  metadata: { name: string };
  data?: Record<string, string>;
  stringData?: Record<string, string>;
  spec?: {
    selector?: { matchLabels?: Record<string, string> } & Record<string, unknown>;
    serviceName?: string;
    replicas?: number;
    ports?: Port[];
    template?: { metadata?: { labels?: Record<string, string> }; spec: PodSpec };
  };
};
type ScaledObject = {
  metadata: { name: string };
  spec: {
    scaleTargetRef: { name: string; kind?: string };
    minReplicaCount?: number;
    maxReplicaCount?: number;
    triggers: { type: string; metadata: Record<string, string> }[];
  };
};
type HorizontalPodAutoscaler = {
  spec: {
    scaleTargetRef: { apiVersion: string; kind: string; name: string };
    metrics: { type: string; resource?: { name: string } }[];
  };
};

const kustomization = readYaml(join(K8S, 'kustomization.yaml')) as { namespace: string; resources: string[] };
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
    env[e.name] = ref
      ? ((source.get(ref.name) as Record<string, string> | undefined)?.[ref.key] ?? '')
      : (e.value ?? '');
  }
  return env;
}
function servicePorts(name: string): number[] {
  return k8sServices
    .filter((s) => s.metadata.name === name)
    .flatMap((s) => s.spec!.ports!.map((p) => p.port!));
}
// An aimass image is aimass/<service>:<version>, or a variant of one built from the same Dockerfile
// with more build arguments (aimass/trainer-gpu, GPU=true).
const AIMASS_IMAGE = /^aimass\/([a-z]+?)(?:-gpu)?:([^:]+)$/;
/** Every Deployment that runs an aimass service, with the service it runs. */
type AimassDeployment = { deployment: Resource; container: PodSpec['containers'][number]; svc: ServiceName };
function aimassDeployments(): AimassDeployment[] {
  return ofKind('Deployment').flatMap((deployment) => {
    const container = deployment.spec!.template!.spec.containers[0]!;
    const svc = AIMASS_IMAGE.exec(container.image)?.[1] as ServiceName | undefined;
    return svc !== undefined && SERVICE_NAMES.includes(svc) ? [{ deployment, container, svc }] : [];
  });
}

describe('deploy/k8s', () => {
  it('lists every manifest in kustomization.yaml, and nothing that does not exist', () => {
    expect([...kustomization.resources].sort()).toEqual([...files].sort());
  });

  it('has one Deployment and one Service per aimass service, running the compose image', () => {
    const compose = readYaml(join(__dirname, 'docker-compose.yml')) as {
      services: Record<string, { image?: string }>;
    };
    for (const svc of SERVICE_NAMES) {
      expect(
        k8sServices.filter((s) => s.metadata.name === svc),
        `Service ${svc}`,
      ).toHaveLength(1);
      expect(containerOf(svc).image, `${svc} image`).toBe(compose.services[svc]?.image);
    }
  });

  it('selects pods that exist, on ports those pods declare', () => {
    for (const w of workloads.filter((w) => w.kind !== 'Job')) {
      const labels = w.spec!.template!.metadata!.labels!;
      expect(labels, `${w.kind} ${w.metadata.name}: selector matches its pods`).toMatchObject(
        w.spec!.selector!.matchLabels!,
      );
      if (w.spec!.serviceName !== undefined)
        expect(servicePorts(w.spec!.serviceName).length).toBeGreaterThan(0);
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
          expect(
            Object.keys(source.get(ref.name) ?? {}),
            `${w.metadata.name}: ${e.name} from ${ref.name}`,
          ).toContain(ref.key);
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

  it('gives each aimass Deployment known settings, valid to the loader, listening on its own ports', () => {
    const compose = readYaml(join(__dirname, 'docker-compose.yml')) as {
      services: Record<string, { image?: string }>;
    };
    for (const { deployment, container: c, svc } of aimassDeployments()) {
      const name = deployment.metadata.name;
      // A variant image (trainer-gpu) is built from the same tree as the service's compose image.
      const version = compose.services[svc]!.image!.split(':')[1];
      expect(AIMASS_IMAGE.exec(c.image)![2], `${name}: image version`).toBe(version);
      const env = effectiveEnv(c);
      const runtimeKeys = c.resources?.limits?.[GPU] !== undefined ? GPU_RUNTIME_KEYS : new Set();
      for (const key of Object.keys(env).filter((k) => !runtimeKeys.has(k))) {
        expect(KNOWN_KEYS, `${name}: ${key}`).toContain(key);
      }
      expect(() => loadConfig(env), name).not.toThrow();
      for (const key of [grpcKey(svc), httpKey(svc)]) {
        const [addr] = addressesIn(env[key] ?? '');
        expect(addr?.host, `${name}: ${key} listens on 0.0.0.0`).toBe('0.0.0.0');
        expect(
          (c.ports ?? []).map((p) => p.containerPort),
          `${name}: ${key} port`,
        ).toContain(addr!.port);
        // Only the service's own Deployment backs its Service; variants (a pool) pull their work.
        if (name !== svc) continue;
        expect(servicePorts(svc), `Service ${svc} exposes ${key}'s port`).toContain(addr!.port);
      }
    }
    const own = aimassDeployments().filter((d) => d.deployment.metadata.name === d.svc);
    expect(own.map((d) => d.svc).sort()).toEqual([...SERVICE_NAMES].sort());
  });

  it('listens and is dialled on the ports of the SERVICES table in libs/config', () => {
    for (const { deployment, container, svc } of aimassDeployments()) {
      const spec = SERVICES.find((s) => s.name === svc)!;
      const env = effectiveEnv(container);
      for (const { key, port } of [spec.grpc, spec.http]) {
        expect(addressesIn(env[key] ?? '')[0]?.port, `${deployment.metadata.name}: ${key}`).toBe(port);
      }
    }
    const shared = configMaps.get('aimass-env')!;
    for (const spec of SERVICES) {
      for (const { key, port } of [spec.grpc, spec.http]) {
        expect(addressesIn(shared[key] ?? '')[0], `aimass-env: ${key}`).toEqual({ host: spec.name, port });
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
        expect(
          servicePorts(host),
          `aimass-env: ${key}=${value}: Service ${host} with port ${port}`,
        ).toContain(port);
      }
      // Any compose service that does not own the key dials the same address.
      const dialer = SERVICE_NAMES.find((s) => ![grpcKey(s), httpKey(s)].includes(key as never))!;
      expect(String(compose.services[dialer]!.environment![key]), `${key} in compose vs k8s`).toBe(value);
    }
  });

  it.skipIf(!HAS_KUBECTL)(
    'renders with kubectl kustomize into the same objects, all in the aimass namespace',
    () => {
      const run = spawnSync('kubectl', ['kustomize', K8S], { encoding: 'utf8' });
      expect(run.status, run.stderr).toBe(0);
      const rendered = parseAllDocuments(run.stdout).map(
        (d) => d.toJS() as Resource & { metadata: { namespace?: string } },
      );
      expect(rendered.map((r) => `${r.kind}/${r.metadata.name}`).sort()).toEqual(
        resources.map((r) => `${r.kind}/${r.metadata.name}`).sort(),
      );
      for (const r of rendered.filter((r) => r.kind !== 'Namespace'))
        expect(r.metadata.namespace, `${r.kind}/${r.metadata.name}`).toBe('aimass');
    },
  );
});

describe('deploy/k8s trainer pools and autoscaling', () => {
  const scaledObjects = ofKind('ScaledObject') as unknown as ScaledObject[];
  const hpas = ofKind('HorizontalPodAutoscaler') as unknown as HorizontalPodAutoscaler[];
  const trainers = aimassDeployments().filter((d) => d.svc === 'trainer');
  const poolOf = (name: string) => {
    const found = trainers.find((t) => t.deployment.metadata.name === name);
    expect(found, `trainer Deployment ${name}`).toBeDefined();
    return { ...found!, config: loadConfig(effectiveEnv(found!.container)).trainer };
  };

  it('runs one trainer Deployment per pool: trainer (cpu) and trainer-gpu (gpu)', () => {
    expect(trainers.map((t) => t.deployment.metadata.name).sort()).toEqual(['trainer', 'trainer-gpu']);
    expect(poolOf('trainer').config.pool).toBe('cpu');
    expect(poolOf('trainer-gpu').config.pool).toBe('gpu');
  });

  it('puts the gpu pool on a GPU node, with one GPU and the Vulkan driver, and no CPU fallback', () => {
    const { deployment, container, config } = poolOf('trainer-gpu');
    const pod = deployment.spec!.template!.spec;
    expect(container.resources?.requests?.[GPU], 'GPU request').toBe(1);
    expect(container.resources?.limits?.[GPU], 'GPU limit').toBe(1);
    expect(pod.tolerations).toContainEqual({ key: GPU, operator: 'Exists', effect: 'NoSchedule' });
    expect(pod.nodeSelector).toEqual({ 'nvidia.com/gpu.present': 'true' });
    const env = effectiveEnv(container);
    expect(env.NVIDIA_DRIVER_CAPABILITIES!.split(',').sort()).toEqual(['compute', 'graphics', 'utility']);
    // The device plugin sets it to the GPU it allocated; a value here would override that.
    expect(env).not.toHaveProperty('NVIDIA_VISIBLE_DEVICES');
    expect(config.allowCpuFallback, 'a gpu node without a GPU must refuse to start').toBe(false);
    expect(container.image).toMatch(/^aimass\/trainer-gpu:/);
  });

  it('keeps GPUs and GPU nodes to the gpu pool', () => {
    for (const w of workloads.filter((w) => w.metadata.name !== 'trainer-gpu')) {
      const pod = w.spec!.template!.spec;
      for (const c of pod.containers) {
        expect(c.resources?.limits?.[GPU], `${w.metadata.name}: GPU`).toBeUndefined();
      }
      expect(pod.tolerations ?? [], `${w.metadata.name}: tolerations`).toEqual([]);
    }
  });

  it('scales each trainer pool with KEDA on its own durable consumer of the jobs stream', () => {
    expect(scaledObjects.map((o) => o.spec.scaleTargetRef.name).sort()).toEqual(['trainer', 'trainer-gpu']);
    for (const o of scaledObjects) {
      const { config } = poolOf(o.spec.scaleTargetRef.name);
      expect(o.spec.scaleTargetRef.kind ?? 'Deployment').toBe('Deployment');
      expect(o.spec.triggers, o.metadata.name).toHaveLength(1);
      const [{ type, metadata }] = o.spec.triggers as [ScaledObject['spec']['triggers'][number]];
      expect(type).toBe('nats-jetstream');
      expect(metadata.account, 'the default account, where aimass runs').toBe('$G');
      expect(metadata.stream).toBe(STREAMS.jobs.name);
      expect(metadata.consumer).toBe(trainerPoolConsumer(config.pool));
      // One node per AIMASS_TRAINER_CONCURRENCY jobs waiting or running.
      expect(Number(metadata.lagThreshold), `${o.metadata.name}: lagThreshold`).toBe(config.concurrency);
      expect(o.spec.maxReplicaCount ?? 100).toBeGreaterThanOrEqual(Math.max(1, o.spec.minReplicaCount ?? 0));
    }
    const min = (name: string) =>
      scaledObjects.find((o) => o.spec.scaleTargetRef.name === name)!.spec.minReplicaCount;
    expect(min('trainer-gpu'), 'the gpu pool scales to zero').toBe(0);
    expect(min('trainer'), 'the cpu pool serves the trainer Service').toBeGreaterThanOrEqual(1);
  });

  it('has KEDA read NATS monitoring by namespaced Service name, on the port nats-server serves it', () => {
    const nats = workloads.find((w) => w.metadata.name === 'nats')!.spec!.template!.spec.containers[0]!;
    const natsService = k8sServices.find((s) => s.metadata.name === 'nats')!;
    const monitorPort = Number(nats.args![nats.args!.indexOf('-m') + 1]);
    for (const o of scaledObjects) {
      const endpoint = o.spec.triggers[0]!.metadata.natsServerMonitoringEndpoint!;
      const m = /^([a-z0-9-]+)\.([a-z0-9-]+)\.svc(?:\.cluster\.local)?:(\d+)$/.exec(endpoint);
      expect(m, `${o.metadata.name}: ${endpoint} is <service>.<namespace>.svc:<port>`).not.toBeNull();
      const [, service, namespace, port] = m!;
      expect(service).toBe('nats');
      expect(namespace).toBe(kustomization.namespace);
      const servicePort = natsService.spec!.ports!.find((p) => p.port === Number(port));
      expect(servicePort, `Service nats port ${port}`).toBeDefined();
      const target = servicePort!.targetPort ?? servicePort!.port;
      const served = nats.ports?.find((p) => p.name === target || p.containerPort === target)?.containerPort;
      expect(served, `Service nats port ${port} reaches monitoring (-m ${monitorPort})`).toBe(monitorPort);
    }
  });

  it('scales inference on CPU with an HPA, against a CPU request', () => {
    expect(hpas.map((h) => h.spec.scaleTargetRef)).toEqual([
      { apiVersion: 'apps/v1', kind: 'Deployment', name: 'inference' },
    ]);
    expect(hpas[0]!.spec.metrics.map((m) => m.resource?.name)).toEqual(['cpu']);
    for (const c of deploymentOf('inference').spec!.template!.spec.containers) {
      expect(c.resources?.requests?.cpu, `inference: ${c.name} requests CPU`).toBeDefined();
    }
  });

  it('leaves replicas of autoscaled Deployments to the autoscaler, so an apply does not reset them', () => {
    const scaled = [...scaledObjects, ...hpas].map((o) => o.spec.scaleTargetRef.name);
    expect(scaled.length).toBeGreaterThan(0);
    for (const name of scaled) {
      expect(deploymentOf(name).spec!.replicas, `Deployment ${name}`).toBeUndefined();
    }
  });
});
