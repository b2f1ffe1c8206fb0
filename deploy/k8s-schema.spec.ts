import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ManifestSchemas } from './manifest-schemas.js';
import { readYaml, readYamlDocs } from './references.js';

// No cluster runs in CI, so this is the check an API server would make on `kubectl apply -k deploy/k8s`:
// every document kustomize applies must be a kind we have a schema for (Kubernetes' own, or KEDA's
// CRDs) and valid against it, with no field the schema does not name. The table of broken documents
// shows that the checker rejects what the API server would.

const K8S = join(__dirname, 'k8s');
type Doc = { apiVersion: string; kind: string; metadata: { name: string } } & Record<string, unknown>;

const kustomization = readYaml(join(K8S, 'kustomization.yaml')) as { resources: string[] };
const yamlFiles = readdirSync(K8S).filter((f) => /\.ya?ml$/.test(f) && f !== 'kustomization.yaml');
const manifests = kustomization.resources.flatMap((file) => {
  const docs = readYamlDocs(join(K8S, file)) as Doc[];
  return docs.map((doc) => ({ file, id: `${doc.kind}/${doc.metadata.name}`, doc }));
});

// One TypeScript program per check() call, so each table is checked in one call.
let schemas: ManifestSchemas;
let manifestProblems: string[][];
beforeAll(async () => {
  schemas = await ManifestSchemas.load();
  manifestProblems = schemas.check(manifests.map((m) => m.doc));
});

/** A real manifest with one deliberate fault, made by `fault` on a fresh copy. */
function broken(kind: string, name: string, fault: (doc: Doc) => void): Doc {
  const found = manifests.find((m) => m.doc.kind === kind && m.doc.metadata.name === name);
  if (found === undefined) throw new Error(`no ${kind}/${name} in deploy/k8s`);
  const doc = structuredClone(found.doc);
  fault(doc);
  return doc;
}
type Fields = Record<string, unknown>;
const spec = (doc: Doc) => doc.spec as Fields;
const podSpec = (doc: Doc) => (spec(doc).template as { spec: Fields }).spec;
type Container = Fields & { resources: { limits: Fields } };
const container = (doc: Doc) => (podSpec(doc).containers as Container[])[0]!;
const gpuLimit = (value: unknown) => (d: Doc) => (container(d).resources.limits['nvidia.com/gpu'] = value);

const BROKEN: { fault: string; doc: unknown; problem: RegExp }[] = [
  {
    fault: 'a Deployment with replicas "two"',
    doc: broken('Deployment', 'trainer', (d) => (spec(d).replicas = 'two')),
    problem: /replicas must be integer/,
  },
  {
    fault: 'a Deployment with a misspelt field (replica)',
    doc: broken('Deployment', 'trainer', (d) => (spec(d).replica = 2)),
    problem: /'"replica"' does not exist/,
  },
  {
    fault: 'a container with a misspelt field (imagePullPolice)',
    doc: broken('Deployment', 'trainer-gpu', (d) => (container(d).imagePullPolice = 'Always')),
    problem: /'"imagePullPolice"' does not exist/,
  },
  {
    fault: 'a container whose nvidia.com/gpu limit is an object',
    doc: broken('Deployment', 'trainer-gpu', gpuLimit({ count: 1 })),
    problem: /nvidia\.com~1gpu must be number/,
  },
  {
    fault: 'a container whose nvidia.com/gpu limit is not a quantity ("one")',
    doc: broken('Deployment', 'trainer-gpu', gpuLimit('one')),
    problem: /nvidia\.com~1gpu must match format "quantity"/,
  },
  {
    fault: 'a toleration with a misspelt field (efect)',
    doc: broken('Deployment', 'trainer-gpu', (d) => {
      podSpec(d).tolerations = [{ key: 'nvidia.com/gpu', operator: 'Exists', efect: 'NoSchedule' }];
    }),
    problem: /'"efect"' does not exist/,
  },
  {
    fault: 'a ScaledObject with a misspelt field (minReplicas)',
    doc: broken('ScaledObject', 'trainer-gpu', (d) => {
      spec(d).minReplicas = spec(d).minReplicaCount;
      delete spec(d).minReplicaCount;
    }),
    problem: /'"minReplicas"' does not exist in type 'IScaledObjectSpec'/,
  },
  {
    fault: 'a ScaledObject without scaleTargetRef',
    doc: broken('ScaledObject', 'trainer-gpu', (d) => delete spec(d).scaleTargetRef),
    problem: /must have required property scaleTargetRef/,
  },
  {
    fault: 'a ScaledObject trigger whose lagThreshold is a number, not a string',
    doc: broken('ScaledObject', 'trainer', (d) => {
      (spec(d).triggers as { metadata: Fields }[])[0]!.metadata.lagThreshold = 1;
    }),
    problem: /metadata\/lagThreshold must be string/,
  },
  {
    fault: 'a HorizontalPodAutoscaler with averageUtilization "70%"',
    doc: broken('HorizontalPodAutoscaler', 'inference', (d) => {
      (spec(d).metrics as { resource: { target: Fields } }[])[0]!.resource.target.averageUtilization = '70%';
    }),
    problem: /averageUtilization must be integer/,
  },
  {
    fault: 'a Service port given as a string',
    doc: broken('Service', 'nats', (d) => ((spec(d).ports as Fields[])[0]!.port = '4222')),
    problem: /ports\/0\/port must be integer/,
  },
  {
    fault: 'a Secret whose stringData value is a number',
    doc: broken('Secret', 'aimass-s3', (d) => (d.stringData = { 'access-key': 12345 })),
    problem: /stringData\/access-key must be string/,
  },
  {
    fault: 'a kind with no schema here (Ingress)',
    doc: { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: { name: 'x' }, spec: {} },
    problem: /no schema for apiVersion networking\.k8s\.io\/v1, kind Ingress/,
  },
  {
    fault: 'a Deployment under a removed apiVersion (extensions/v1beta1)',
    doc: broken('Deployment', 'trainer', (d) => (d.apiVersion = 'extensions/v1beta1')),
    problem: /no schema for apiVersion extensions\/v1beta1, kind Deployment/,
  },
  {
    fault: 'a document with no apiVersion or kind',
    doc: { metadata: { name: 'x' } },
    problem: /no schema for apiVersion undefined, kind undefined/,
  },
];

describe('deploy/k8s against the Kubernetes and KEDA schemas', () => {
  it('checks what kustomize applies, which is every YAML file here', () => {
    expect([...kustomization.resources].sort()).toEqual([...yamlFiles].sort());
    expect(manifests.length).toBeGreaterThan(0);
  });

  it.each(manifests.map((m, i) => ({ ...m, i })))('$file: $id is valid', ({ i }) => {
    expect(manifestProblems[i]).toEqual([]);
  });

  describe('rejects broken documents', () => {
    let problems: string[][];
    beforeAll(() => {
      problems = schemas.check(BROKEN.map((b) => b.doc));
    });

    it.each(BROKEN.map((b, i) => ({ ...b, i })))('$fault', ({ i, problem }) => {
      expect(problems[i]!.join('\n')).toMatch(problem);
    });
  });
});
