import type { registryv1 } from '@aimass/contracts';
import { auroc } from '@aimass/datasets';
import { exportGmm, fitGmm, meanLogLikelihood, scoreSamples, syntheticMixture } from '@aimass/gmm';
import { parseModelCard } from '@aimass/model-card';
import { exportDenseNetwork, randomDenseNetwork } from '@aimass/onnx';
import { status } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { failure, pieces, push, startRegistry, unary, type RegistryUnderTest } from './registry-harness.js';

// Model cards on a real registry: validated on CreateModel, UpdateModel and PushVersion, refused
// naming the field, and a generated card that follows pushes until someone writes their own.

const onnx = (seed: number) =>
  exportDenseNetwork(
    randomDenseNetwork({ inputDim: 4, hidden: [8], outputDim: 2, seed, activation: 'relu' }),
  );

const card = (frontMatter: string, body = '# Card\n') => `---\n${frontMatter}\n---\n${body}`;
const generated = (job: string) =>
  card(`generated_by: aimass-trainer job ${job}\ntags: [aimass, ae]`, `# ${job}\n`);

let t: RegistryUnderTest;
const getModel = (name: string) => unary<registryv1.Model__Output>((cb) => t.client.GetModel({ name }, cb));
const listVersions = (model: string) =>
  unary<registryv1.ListVersionsResponse__Output>((cb) => t.client.ListVersions({ model }, cb));

beforeAll(async () => {
  t = await startRegistry();
});
afterAll(async () => t?.stop());

const BAD_CARDS: [string, string, string, RegExp][] = [
  ['a license that is not SPDX', card('license: MIT-ish'), 'model_card.license', /SPDX/],
  ['a misspelt field', card('licence: MIT'), 'model_card.licence', /not a model card field/],
  ['YAML that does not parse', card('tags: [a'), 'model_card.front matter', /not valid YAML/],
  [
    'a result without a value',
    card(
      'model-index:\n  - name: m\n    results:\n      - task: { type: t }\n        dataset: { name: d }\n        metrics:\n          - { type: mse }',
    ),
    'model_card.model-index.0.results.0.metrics.0.value',
    /number/,
  ],
  [
    'a self-verified result',
    card(
      'model-index:\n  - name: m\n    results:\n      - task: { type: t }\n        dataset: { name: d }\n        metrics:\n          - { type: mse, value: 1, verified: true }',
    ),
    'model_card.model-index.0.results.0.metrics.0.verified',
    /set by the registry/,
  ],
];

describe('model card validation', () => {
  it('stores a valid card as written and hands it back', async () => {
    const text = card(
      'license: Apache-2.0\ntags: [fraud]\ndatasets: [transactions@2]\nintended_use: Scoring.',
    );
    await unary((cb) => t.client.CreateModel({ name: 'carded', model_card: text }, cb));
    const model = await getModel('carded');
    expect(model.model_card).toBe(text);
    expect(parseModelCard(model.model_card).metadata.datasets).toEqual(['transactions@2']);
  });

  it.each(BAD_CARDS)(
    'CreateModel refuses %s naming the field, and creates nothing',
    async (what, text, field, problem) => {
      const name = `bad-create-${BAD_CARDS.findIndex(([w]) => w === what)}`;
      const err = await failure(unary((cb) => t.client.CreateModel({ name, model_card: text }, cb)));
      expect(err.code).toBe(status.INVALID_ARGUMENT);
      expect(err.details).toContain(`${field}:`);
      expect(err.details).toMatch(problem);
      expect((await failure(getModel(name))).code).toBe(status.NOT_FOUND);
    },
  );

  it.each(BAD_CARDS)(
    'UpdateModel refuses %s naming the field, and keeps the card',
    async (_, text, field) => {
      const before = await getModel('carded');
      const err = await failure(
        unary((cb) =>
          t.client.UpdateModel({ name: 'carded', update_mask: ['model_card'], model_card: text }, cb),
        ),
      );
      expect(err.code).toBe(status.INVALID_ARGUMENT);
      expect(err.details).toContain(`${field}:`);
      expect((await getModel('carded')).model_card).toBe(before.model_card);
    },
  );

  it.each(BAD_CARDS)(
    'PushVersion refuses %s naming the field, and stores no version',
    async (_, text, field) => {
      const err = await failure(
        push(t.client, { model: 'carded', format: 'onnx', model_card: text }, pieces(onnx(1))),
      );
      expect(err.code).toBe(status.INVALID_ARGUMENT);
      expect(err.details).toContain(`push header: ${field}:`);
      expect((await listVersions('carded')).versions).toHaveLength(0);
    },
  );
});

describe('a card pushed with a version', () => {
  it('becomes the card of the model the push creates, follows later generated cards, and never replaces a written one', async () => {
    const model = 'trained-carded';
    await push(t.client, { model, format: 'onnx', model_card: generated('job-1') }, pieces(onnx(1)));
    expect((await getModel(model)).model_card).toBe(generated('job-1'));

    await push(t.client, { model, format: 'onnx', model_card: generated('job-2') }, pieces(onnx(2)));
    expect((await getModel(model)).model_card).toBe(generated('job-2'));

    // A push without a card leaves the card alone.
    await push(t.client, { model, format: 'onnx' }, pieces(onnx(3)));
    expect((await getModel(model)).model_card).toBe(generated('job-2'));

    const written = card('license: MIT\nintended_use: Our fraud scorer.', '# Written by the team\n');
    await unary((cb) =>
      t.client.UpdateModel({ name: model, update_mask: ['model_card'], model_card: written }, cb),
    );
    const v4 = await push(
      t.client,
      { model, format: 'onnx', model_card: generated('job-4') },
      pieces(onnx(4)),
    );
    expect(v4.version).toBe(4);
    expect((await getModel(model)).model_card).toBe(written);
  });

  it('fills in a model that has no card yet', async () => {
    const model = 'late-carded';
    await unary((cb) => t.client.CreateModel({ name: model }, cb));
    await push(t.client, { model, format: 'onnx', model_card: generated('job-9') }, pieces(onnx(9)));
    expect((await getModel(model)).model_card).toBe(generated('job-9'));
  });
});

describe('VerifyModelCard', () => {
  // A Gaussian mixture fitted here, and a labelled dataset: 400 rows of the mixture (label 0) and
  // 40 far-off rows (label 1).
  const mixture = syntheticMixture(
    400,
    [
      [0, 0, 0],
      [6, 6, 6],
    ],
    { seed: 11 },
  );
  const outliers = syntheticMixture(40, [[20, -20, 20]], { seed: 12 });
  const rows = mixture.rows + outliers.rows;
  const values = new Float64Array([...mixture.data, ...outliers.data]);
  const labels = new Uint8Array(rows).fill(1, mixture.rows);
  const gmm = fitGmm(mixture.data, mixture.rows, 3, { components: 2, seed: 1 });
  const csv = Buffer.from(
    [
      'a,b,c,label',
      ...Array.from(
        { length: rows },
        (_, r) => `${values[r * 3]},${values[r * 3 + 1]},${values[r * 3 + 2]},${labels[r]}`,
      ),
    ].join('\n') + '\n',
  );
  const f32 = Float32Array.from(values);
  const expectedLl = meanLogLikelihood(gmm, f32, rows);
  const expectedAuroc = auroc(
    Array.from(scoreSamples(gmm, f32, rows), (ll) => -ll),
    labels,
  );
  const threshold = 12;
  const expectedRate = Array.from(scoreSamples(gmm, f32, rows)).filter((ll) => -ll > threshold).length / rows;

  const declare = (metrics: string) =>
    card(
      `license: MIT\nmodel-index:\n  - name: blobs-gmm\n    results:\n      - task: { type: density-estimation }\n        dataset: { name: blobs@1, label_column: label }\n        metrics:\n${metrics}\n      - task: { type: density-estimation }\n        dataset: { name: nowhere }\n        metrics:\n          - { type: mean_log_likelihood, value: 1 }`,
    );

  it('re-runs each declared result on the version, marks the card, and says why a result is not verified', async () => {
    await new Promise<registryv1.Dataset__Output>((resolve, reject) => {
      const call = t.client.PushDataset((err, res) => (err ? reject(err) : resolve(res!)));
      call.write({ header: { name: 'blobs', format: 'csv' } });
      call.write({ chunk: csv });
      call.end();
    });
    const text = declare(
      [
        `          - { type: mean_log_likelihood, value: ${expectedLl} }`,
        `          - { type: auroc, value: ${expectedAuroc} }`,
        `          - { type: anomaly_rate, value: ${expectedRate + 0.3} }`,
        '          - { type: accuracy, value: 0.9 }',
      ].join('\n'),
    );
    await unary((cb) => t.client.CreateModel({ name: 'blobs-gmm', model_card: text }, cb));
    await push(
      t.client,
      { model: 'blobs-gmm', format: 'onnx', alias: 'production' },
      pieces(exportGmm(gmm, { threshold })),
    );

    const response = await unary<registryv1.VerifyModelCardResponse__Output>((cb) =>
      t.client.VerifyModelCard({ model: 'blobs-gmm' }, cb),
    );
    expect(response.version).toBe(1);
    const byType = new Map(response.results.map((r) => [`${r.result}:${r.type}`, r]));
    expect(byType.get('0:mean_log_likelihood')).toMatchObject({ verified: true, dataset: 'blobs@1', rows });
    expect(byType.get('0:mean_log_likelihood')!.computed).toBeCloseTo(expectedLl, 3);
    expect(byType.get('0:auroc')).toMatchObject({ verified: true });
    expect(byType.get('0:auroc')!.computed).toBeCloseTo(expectedAuroc, 6);
    expect(byType.get('0:anomaly_rate')).toMatchObject({ verified: false });
    expect(byType.get('0:anomaly_rate')!.computed).toBeCloseTo(expectedRate, 6);
    expect(byType.get('0:anomaly_rate')!.reason).toMatch(
      /differs from the declared .* \(AIMASS_REGISTRY_VERIFY_TOLERANCE\)/,
    );
    expect(byType.get('0:accuracy')).toMatchObject({ verified: false });
    expect(byType.get('0:accuracy')!.reason).toMatch(
      /cannot re-run "accuracy"; it re-runs mean_score, anomaly_rate/,
    );
    expect(byType.get('1:mean_log_likelihood')!.reason).toMatch(/nowhere/);

    // The card now says so, for anyone who reads it.
    const stored = parseModelCard((await getModel('blobs-gmm')).model_card, { allowVerified: true });
    const metrics = stored.metadata['model-index']![0]!.results[0]!.metrics;
    expect(metrics.map((m) => m.verified)).toEqual([true, true, false, false]);
    expect(metrics[0]!.verified_value).toBeCloseTo(expectedLl, 3);
    expect(metrics[0]!.verified_at).toMatch(/^\d{4}-\d\d-\d\dT/);
    // A person cannot write verification marks themselves.
    const err = await failure(
      unary((cb) =>
        t.client.UpdateModel(
          { name: 'blobs-gmm', update_mask: ['model_card'], model_card: response.model?.model_card ?? '' },
          cb,
        ),
      ),
    );
    expect(err.code).toBe(status.INVALID_ARGUMENT);
    expect(err.details).toContain('model_card.model-index.0.results.0.metrics.0.verified:');
  });

  it.each([
    [
      'a model without declared results',
      'carded',
      '',
      status.FAILED_PRECONDITION,
      /declares no results to verify/,
    ],
    ['an unknown model', 'no-such-model', '', status.NOT_FOUND, /does not exist/],
    ['an unknown version', 'blobs-gmm', '9', status.NOT_FOUND, /9/],
  ])('refuses %s', async (_, model, version, code, message) => {
    const err = await failure(unary((cb) => t.client.VerifyModelCard({ model, version }, cb)));
    expect(err.code).toBe(code);
    expect(err.details).toMatch(message);
  });
});
