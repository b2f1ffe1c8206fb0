import { generateSigningKey, mintToken, type AccessRule } from '@aimass/auth';
import { createMeshClient } from '@aimass/grpc/client';
import { exportDenseNetwork, randomDenseNetwork } from '@aimass/onnx';
import { makeScratchDir, startMesh, type Mesh } from '@aimass/testing';
import { status, type Client, type ServiceError } from '@grpc/grpc-js';
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { INFERENCE_ACCESS } from '../../services/inference/src/auth/access-rules.js';
import { MONITOR_ACCESS } from '../../services/monitor/src/auth/access-rules.js';
import { REGISTRY_ACCESS } from '../../services/registry/src/auth/access-rules.js';
import { TRAINER_ACCESS } from '../../services/trainer/src/auth/access-rules.js';
import { TUNER_ACCESS } from '../../services/tuner/src/auth/access-rules.js';

// Every RPC of every service, called with no token, an expired token, a forged signature, a token
// for another model and the right (least) scope, against a real mesh with authentication on. The
// refused calls must change nothing: the registry's and trainer's state is compared before and after.

type Service = 'registry' | 'trainer' | 'tuner' | 'inference' | 'monitor';
type Kind = 'unary' | 'client-stream' | 'server-stream' | 'bidi';
interface Case {
  readonly service: Service;
  readonly kind: Kind;
  /** The request (unary, server-stream) or the messages (client-stream, bidi). */
  readonly body: unknown;
  /** The least grant that lets this call through, when it is not the rule's scope on fraud-*. */
  readonly least?: string;
}
interface Outcome {
  readonly code: number;
  readonly details: string;
}

const MODEL = 'fraud-a';
const model = randomDenseNetwork({
  inputDim: 4,
  hidden: [4],
  outputDim: 2,
  seed: 7,
  activation: 'tanh',
  outputActivation: 'linear',
});
const onnx = Buffer.from(exportDenseNetwork(model));
const infer = {
  model_name: MODEL,
  inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 4] }],
  raw_input_contents: [Buffer.alloc(16)],
};

const R = 'aimass.registry.v1.RegistryService';
const T = 'aimass.trainer.v1.TrainerService';
const I = 'inference.GRPCInferenceService';
const U = 'aimass.tuner.v1.TunerService';
/** One call per RPC, each naming MODEL (or a name under fraud-*) where the method takes a model. */
const CASES: Record<string, Case> = {
  [`${R}/CreateModel`]: { service: 'registry', kind: 'unary', body: { name: 'fraud-new' } },
  [`${R}/UpdateModel`]: {
    service: 'registry',
    kind: 'unary',
    body: { name: MODEL, update_mask: ['description'], description: 'changed' },
  },
  [`${R}/GetModel`]: { service: 'registry', kind: 'unary', body: { name: MODEL } },
  [`${R}/ListModels`]: { service: 'registry', kind: 'unary', body: {} },
  [`${R}/PushVersion`]: {
    service: 'registry',
    kind: 'client-stream',
    body: [{ header: { model: MODEL, format: 'onnx', size_bytes: onnx.length } }, { chunk: onnx }],
  },
  [`${R}/GetVersion`]: { service: 'registry', kind: 'unary', body: { model: MODEL, version: '1' } },
  [`${R}/ListVersions`]: { service: 'registry', kind: 'unary', body: { model: MODEL } },
  [`${R}/DownloadVersion`]: {
    service: 'registry',
    kind: 'server-stream',
    body: { model: MODEL, version: '1' },
  },
  [`${R}/SetVersionState`]: {
    service: 'registry',
    kind: 'unary',
    body: { model: MODEL, version: 1, state: 'deprecated' },
  },
  [`${R}/SetReferenceStatistics`]: {
    service: 'registry',
    kind: 'unary',
    body: { model: MODEL, version: 1, statistics: {} },
  },
  [`${R}/GetReferenceStatistics`]: {
    service: 'registry',
    kind: 'unary',
    body: { model: MODEL, version: '1' },
  },
  [`${R}/SetAlias`]: {
    service: 'registry',
    kind: 'unary',
    body: { model: MODEL, alias: 'staging', version: 1 },
  },
  [`${R}/DeleteAlias`]: { service: 'registry', kind: 'unary', body: { model: MODEL, alias: 'production' } },
  [`${R}/ListAliasHistory`]: {
    service: 'registry',
    kind: 'unary',
    body: { model: MODEL, alias: 'production' },
  },
  // An unknown target does not validate: with the right scope the registry answers INVALID_ARGUMENT
  // and writes nothing.
  [`${R}/ConvertModelVersion`]: {
    service: 'registry',
    kind: 'unary',
    body: { model: MODEL, version: '1', to: 'int4' },
  },
  // The model's card declares no results: with the right scope, FAILED_PRECONDITION and no write.
  [`${R}/VerifyModelCard`]: { service: 'registry', kind: 'unary', body: { model: MODEL, version: '1' } },
  [`${R}/PushDataset`]: {
    service: 'registry',
    kind: 'client-stream',
    body: [
      { header: { name: 'fraud-rows', format: 'csv', size_bytes: 12 } },
      { chunk: Buffer.from('a,b\n1,2\n3,4\n') },
    ],
  },
  [`${R}/GetDataset`]: { service: 'registry', kind: 'unary', body: { name: 'fraud-rows' } },
  [`${R}/ListDatasets`]: { service: 'registry', kind: 'unary', body: {} },
  // epochs 0 does not validate: with the right scope the trainer answers INVALID_ARGUMENT and queues nothing.
  [`${T}/SubmitJob`]: {
    service: 'trainer',
    kind: 'unary',
    body: {
      spec_json: JSON.stringify({
        family: 'gmm',
        dataset: { builtin: 'blobs' },
        epochs: 0,
        model_name: 'fraud-g',
      }),
    },
  },
  [`${T}/GetJob`]: { service: 'trainer', kind: 'unary', body: { job_id: 'no-such-job' } },
  [`${T}/ListJobs`]: { service: 'trainer', kind: 'unary', body: {} },
  [`${T}/CancelJob`]: { service: 'trainer', kind: 'unary', body: { job_id: 'no-such-job' } },
  [`${T}/StreamProgress`]: { service: 'trainer', kind: 'server-stream', body: { job_id: 'no-such-job' } },
  [`${T}/GetNode`]: { service: 'trainer', kind: 'unary', body: {} },
  [`${U}/GetStatus`]: { service: 'tuner', kind: 'unary', body: {} },
  // An empty space does not validate: with the right scope the tuner answers INVALID_ARGUMENT and stores nothing.
  [`${U}/CreateStudy`]: {
    service: 'tuner',
    kind: 'unary',
    body: { spec_json: JSON.stringify({ name: 'fraud-study', space: {}, budget: { trials: 1 } }) },
  },
  [`${U}/GetStudy`]: { service: 'tuner', kind: 'unary', body: { study_id: 'no-such-study' } },
  [`${U}/ListStudies`]: { service: 'tuner', kind: 'unary', body: {} },
  [`${U}/Ask`]: { service: 'tuner', kind: 'unary', body: { study_id: 'no-such-study' } },
  [`${U}/Report`]: {
    service: 'tuner',
    kind: 'unary',
    body: { study_id: 'no-such-study', trial: 0, step: 1, value: 1 },
  },
  [`${U}/Tell`]: {
    service: 'tuner',
    kind: 'unary',
    body: { study_id: 'no-such-study', trial: 0, state: 'COMPLETE', value: 1 },
  },
  [`${U}/GetImportance`]: { service: 'tuner', kind: 'unary', body: { study_id: 'no-such-study' } },
  [`${U}/StopStudy`]: { service: 'tuner', kind: 'unary', body: { study_id: 'no-such-study' } },
  'aimass.monitor.v1.MonitorService/GetModelStats': {
    service: 'monitor',
    kind: 'unary',
    body: { model: MODEL },
  },
  'aimass.monitor.v1.MonitorService/ListAlerts': {
    service: 'monitor',
    kind: 'unary',
    body: { model: MODEL },
  },
  // No alert has this id: with the scope on every model the monitor answers NOT_FOUND; a token for
  // some models only is refused first, so it cannot probe for ids.
  'aimass.monitor.v1.MonitorService/AcknowledgeAlert': {
    service: 'monitor',
    kind: 'unary',
    body: { id: 'no-such-alert', by: '', note: '' },
    least: 'models:write',
  },
  // A zero duration does not validate: with the right scope the monitor answers INVALID_ARGUMENT
  // and silences nothing.
  'aimass.monitor.v1.MonitorService/SilenceAlerts': {
    service: 'monitor',
    kind: 'unary',
    body: { model: MODEL, duration_seconds: 0, reason: 'auth table' },
  },
  'aimass.monitor.v1.MonitorService/ListSilences': {
    service: 'monitor',
    kind: 'unary',
    body: { model: MODEL },
  },
  [`${I}/ServerLive`]: { service: 'inference', kind: 'unary', body: {} },
  [`${I}/ServerReady`]: { service: 'inference', kind: 'unary', body: {} },
  [`${I}/ServerMetadata`]: { service: 'inference', kind: 'unary', body: {} },
  [`${I}/ModelReady`]: { service: 'inference', kind: 'unary', body: { name: MODEL } },
  [`${I}/ModelMetadata`]: { service: 'inference', kind: 'unary', body: { name: MODEL } },
  [`${I}/ModelInfer`]: { service: 'inference', kind: 'unary', body: infer },
  [`${I}/ModelStreamInfer`]: { service: 'inference', kind: 'bidi', body: [infer] },
  [`${I}/ModelStatistics`]: { service: 'inference', kind: 'unary', body: { name: MODEL } },
  [`${I}/RepositoryIndex`]: { service: 'inference', kind: 'unary', body: {} },
  [`${I}/RepositoryModelLoad`]: { service: 'inference', kind: 'unary', body: { model_name: MODEL } },
  [`${I}/RepositoryModelUnload`]: {
    service: 'inference',
    kind: 'unary',
    body: { model_name: 'fraud-not-loaded' },
  },
};

const RULES: Record<string, AccessRule> = {
  ...REGISTRY_ACCESS,
  ...TRAINER_ACCESS,
  ...TUNER_ACCESS,
  ...INFERENCE_ACCESS,
  ...MONITOR_ACCESS,
};
const METHODS = Object.keys(RULES).filter((m) => !m.startsWith('grpc.health.'));

/** The least grant that should pass, and one of the same scope on other models. */
function grantsFor(rule: AccessRule, c?: Case): { right: string; other: string } | undefined {
  if ('open' in rule) return undefined;
  const namesModel = rule.model !== undefined || rule.perMessage === true;
  return {
    right: c?.least ?? (namesModel ? `${rule.scope}:fraud-*` : rule.scope),
    other: `${rule.scope}:other-*`,
  };
}

/** The status a call ends with; a bidi stream's per-message error counts as its status. */
function call(client: Client, method: string, c: Case): Promise<Outcome> {
  const name = method.slice(method.indexOf('/') + 1);
  const fn = (client as unknown as Record<string, (...a: unknown[]) => unknown>)[name]!.bind(client);
  const deadline = { deadline: Date.now() + 15_000 };
  return new Promise((resolve) => {
    const done = (err: ServiceError | null) =>
      resolve(err ? { code: err.code, details: err.details } : { code: status.OK, details: '' });
    switch (c.kind) {
      case 'unary':
        fn(c.body, deadline, done);
        break;
      case 'client-stream': {
        const stream = fn(deadline, done) as { write(m: unknown): void; end(): void };
        for (const m of c.body as unknown[]) stream.write(m);
        stream.end();
        break;
      }
      case 'server-stream': {
        const stream = fn(c.body, deadline) as NodeJS.EventEmitter;
        stream.on('data', () => undefined);
        stream.on('error', (err: ServiceError) => done(err));
        stream.on('end', () => done(null));
        break;
      }
      case 'bidi': {
        const stream = fn(deadline) as NodeJS.EventEmitter & { write(m: unknown): void; end(): void };
        let first: Outcome | undefined;
        stream.on('data', (m: { error_message?: string }) => {
          const match = /^([A-Z_]+): (.*)$/s.exec(m.error_message ?? '');
          first ??= match
            ? { code: status[match[1] as keyof typeof status] as number, details: match[2]! }
            : { code: status.OK, details: '' };
        });
        stream.on('error', (err: ServiceError) => resolve(first ?? { code: err.code, details: err.details }));
        stream.on('end', () => resolve(first ?? { code: status.OK, details: '' }));
        for (const m of c.body as unknown[]) stream.write(m);
        stream.end();
        break;
      }
    }
  });
}

describe('authorization of every RPC (auth on)', () => {
  let mesh: Mesh;
  let expired: string;
  let forged: string;
  const clients = new Map<string, Client>();

  const client = (service: Service, token: string | undefined): Client => {
    const key = `${service}\n${token ?? ''}`;
    let c = clients.get(key);
    if (!c) {
      c = createMeshClient<Client>(service, mesh.env[`AIMASS_${service.toUpperCase()}_GRPC`]!, {}, token);
      clients.set(key, c);
    }
    return c;
  };

  /** What a refused call could have changed: models, versions, aliases, datasets, jobs, studies. */
  const snapshot = async (): Promise<string> => {
    const admin = await mesh.auth!.mint('auditor', ['admin'], 60);
    const parts: Outcome[] = [];
    const bodies: unknown[] = [];
    for (const [method, body, service] of [
      [`${R}/ListModels`, {}, 'registry'],
      [`${R}/ListVersions`, { model: MODEL, include_deleted: true }, 'registry'],
      [`${R}/ListAliasHistory`, { model: MODEL }, 'registry'],
      [`${R}/ListDatasets`, {}, 'registry'],
      [`${T}/ListJobs`, {}, 'trainer'],
      [`${U}/ListStudies`, {}, 'tuner'],
    ] as const) {
      const c = client(service, admin);
      const name = method.slice(method.indexOf('/') + 1);
      bodies.push(
        await new Promise((resolve, reject) =>
          (c as unknown as Record<string, (...a: unknown[]) => unknown>)[name]!(
            body,
            (err: ServiceError | null, res: unknown) => (err ? reject(err) : resolve(res)),
          ),
        ),
      );
    }
    return JSON.stringify({ parts, bodies });
  };

  beforeAll(async () => {
    mesh = await startMesh({
      stateDir: makeScratchDir('authz'),
      auth: true,
      extraEnv: { AIMASS_LOG_LEVEL: 'warn' },
    });
    expired = await mesh.auth!.mint('late', ['admin'], 1);
    const outsider = await generateSigningKey();
    const jwks = JSON.parse(fs.readFileSync(mesh.auth!.jwksFile, 'utf8')) as { keys: { kid: string }[] };
    forged = await mintToken(
      { ...outsider.privateJwk, kid: jwks.keys[0]!.kid },
      {
        subject: 'mallory',
        scopes: ['admin'],
        ttl: 600,
      },
    );
    // A model with a served version and an alias, and a dataset, for the calls to aim at.
    const admin = await mesh.auth!.mint('setup', ['admin'], 600);
    const seeded = await call(client('registry', admin), `${R}/PushVersion`, {
      service: 'registry',
      kind: 'client-stream',
      body: [{ header: { model: MODEL, format: 'onnx', alias: 'production' } }, { chunk: onnx }],
    });
    expect(seeded).toEqual({ code: status.OK, details: '' });
    await new Promise((r) => setTimeout(r, 1200)); // `expired` is now past its exp
  }, 120_000);

  afterAll(async () => {
    for (const c of clients.values()) c.close();
    await mesh?.stop();
  });

  it('covers every RPC the services authorise', () => {
    expect(METHODS.filter((m) => !(m in CASES))).toEqual([]);
  });

  it('refuses missing, expired and forged tokens, and tokens for other models, changing nothing', async () => {
    const before = await snapshot();
    const rows: string[] = [];
    for (const method of METHODS) {
      const rule = RULES[method]!;
      const c = CASES[method]!;
      const grants = grantsFor(rule);
      const other = grants ? await mesh.auth!.mint('other-team', [grants.other], 600) : undefined;
      for (const [label, token] of [
        ['no token', undefined],
        ['expired', expired],
        ['forged', forged],
        ['other model', other],
      ] as const) {
        const outcome = await call(client(c.service, token), method, c);
        const want = !grants
          ? 'open'
          : label === 'other model'
            ? status.PERMISSION_DENIED
            : status.UNAUTHENTICATED;
        const ok =
          want === 'open'
            ? outcome.code !== status.UNAUTHENTICATED && outcome.code !== status.PERMISSION_DENIED
            : outcome.code === want;
        if (!ok) rows.push(`${method} ${label}: got ${status[outcome.code]} ${outcome.details}`);
        if (ok && want === status.PERMISSION_DENIED)
          expect(outcome.details).toContain(grants!.right.split(':fraud')[0]);
      }
    }
    expect(rows).toEqual([]);
    expect(await snapshot()).toEqual(before);
  }, 180_000);

  it('lets the least scope through on every RPC', async () => {
    const rows: string[] = [];
    for (const method of METHODS) {
      const grants = grantsFor(RULES[method]!, CASES[method]);
      if (!grants) continue;
      const token = await mesh.auth!.mint('least', [grants.right], 600);
      const c = CASES[method]!;
      const outcome = await call(client(c.service, token), method, c);
      if (outcome.code === status.UNAUTHENTICATED || outcome.code === status.PERMISSION_DENIED)
        rows.push(`${method} with ${grants.right}: ${status[outcome.code]} ${outcome.details}`);
    }
    expect(rows).toEqual([]);
  }, 180_000);

  it('says what is missing in words a person can act on', async () => {
    const none = await call(client('registry', undefined), `${R}/ListModels`, CASES[`${R}/ListModels`]!);
    expect(none.details).toMatch(/missing bearer token.*authorization: Bearer <token>.*aimass auth token/);
    const narrow = await mesh.auth!.mint('reader', ['models:read:other-*'], 600);
    const denied = await call(client('registry', narrow), `${R}/GetModel`, CASES[`${R}/GetModel`]!);
    expect(denied.details).toBe(
      'reader may not call GetModel: it needs the scope models:read:fraud-a (the token grants models:read:other-*)',
    );
  });
});
