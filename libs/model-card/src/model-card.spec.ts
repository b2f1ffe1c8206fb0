import { describe, expect, it } from 'vitest';
import { ModelCardError, parseModelCard } from './model-card.js';
import { renderModelCard } from './render.js';

const card = (frontMatter: string, body = '# A model\n') => `---\n${frontMatter}\n---\n${body}`;

const GOOD = card(
  [
    'license: Apache-2.0',
    'tags: [autoencoder, anomaly-detection]',
    'datasets: [mnist-rows@3]',
    'metrics: [reconstruction_mse]',
    'base_model: mnist-ae@2',
    'intended_use: Scores 28x28 digit images for anomalies.',
    'model-index:',
    '  - name: mnist-ae',
    '    results:',
    '      - task: { type: anomaly-detection }',
    '        dataset: { name: mnist-rows@3, split: test }',
    '        metrics:',
    '          - { type: reconstruction_mse, value: 0.0123 }',
  ].join('\n'),
);

describe('parseModelCard', () => {
  it('reads the Hugging Face-style metadata and keeps the markdown body', () => {
    const parsed = parseModelCard(GOOD);
    expect(parsed.metadata.license).toBe('Apache-2.0');
    expect(parsed.metadata.datasets).toEqual(['mnist-rows@3']);
    expect(parsed.metadata['model-index']![0]!.results[0]!.metrics[0]!.value).toBe(0.0123);
    expect(parsed.body).toBe('# A model\n');
  });

  it('takes markdown without front matter as a card with no metadata', () => {
    expect(parseModelCard('# Just notes\n')).toEqual({ metadata: {}, body: '# Just notes\n' });
    expect(parseModelCard('')).toEqual({ metadata: {}, body: '' });
  });

  it('accepts SPDX expressions and "other"', () => {
    for (const license of ['MIT', 'MIT OR Apache-2.0', 'CC-BY-4.0', 'GPL-3.0-only', 'other'])
      expect(parseModelCard(card(`license: ${license}`)).metadata.license).toBe(license);
  });

  it.each([
    ['a license that is not SPDX', 'license: MIT-ish', 'license', /not an SPDX license expression/],
    [
      'a misspelt field',
      'licence: MIT',
      'licence',
      /is not a model card field \(the fields are license, tags/,
    ],
    ['tags that are not a list', 'tags: autoencoder', 'tags', /array/i],
    ['a dataset with spaces', 'datasets: ["my data"]', 'datasets.0', /NAME or NAME@VERSION/],
    ['a base model with a bad name', 'base_model: "Foo Bar"', 'base_model', /NAME or NAME@VERSION/],
    ['YAML that does not parse', 'license: [MIT', 'front matter', /not valid YAML/],
    ['a list as front matter', '- MIT', 'front matter', /YAML mapping/],
    ['a duplicated key', 'license: MIT\nlicense: Apache-2.0', 'front matter', /not valid YAML/],
    [
      'a result without a value',
      'model-index:\n  - name: m\n    results:\n      - task: { type: t }\n        dataset: { name: d }\n        metrics:\n          - { type: mse }',
      'model-index.0.results.0.metrics.0.value',
      /must be a number/,
    ],
    [
      'a result with a string value',
      'model-index:\n  - name: m\n    results:\n      - task: { type: t }\n        dataset: { name: d }\n        metrics:\n          - { type: mse, value: "low" }',
      'model-index.0.results.0.metrics.0.value',
      /must be a number/,
    ],
    [
      'a result without a dataset',
      'model-index:\n  - name: m\n    results:\n      - task: { type: t }\n        metrics:\n          - { type: mse, value: 1 }',
      'model-index.0.results.0.dataset',
      /./,
    ],
    [
      'a result that claims to be verified',
      'model-index:\n  - name: m\n    results:\n      - task: { type: t }\n        dataset: { name: d }\n        metrics:\n          - { type: mse, value: 1, verified: true }',
      'model-index.0.results.0.metrics.0.verified',
      /set by the registry/,
    ],
    [
      'an unknown key inside a result',
      'model-index:\n  - name: m\n    results:\n      - task: { type: t }\n        dataset: { name: d, url: x }\n        metrics:\n          - { type: mse, value: 1 }',
      'model-index.0.results.0.dataset.url',
      /not a model card field/,
    ],
    [
      'a digest that is not SHA-256',
      'model-index:\n  - name: m\n    results:\n      - task: { type: t }\n        dataset: { name: d, digest: abc }\n        metrics:\n          - { type: mse, value: 1 }',
      'model-index.0.results.0.dataset.digest',
      /SHA-256/,
    ],
  ])('refuses %s, naming the field', (_, frontMatter, field, problem) => {
    let error: unknown;
    try {
      parseModelCard(card(frontMatter));
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ModelCardError);
    expect((error as ModelCardError).field).toBe(field);
    expect((error as ModelCardError).problem).toMatch(problem);
  });

  it('refuses an opening "---" that is never closed', () => {
    expect(() => parseModelCard('---\nlicense: MIT\n# body')).toThrow(/no closing "---"/);
  });

  it('lets the registry read back the verified results it wrote', () => {
    const text = card(
      'model-index:\n  - name: m\n    results:\n      - task: { type: t }\n        dataset: { name: d }\n        metrics:\n          - { type: mse, value: 1, verified: true, verified_value: 1.001 }',
    );
    const parsed = parseModelCard(text, { allowVerified: true });
    expect(parsed.metadata['model-index']![0]!.results[0]!.metrics[0]!.verified).toBe(true);
  });
});

describe('renderModelCard', () => {
  it('round-trips through parseModelCard', () => {
    const parsed = parseModelCard(GOOD);
    const again = parseModelCard(renderModelCard(parsed));
    expect(again).toEqual(parsed);
  });

  it('writes no front matter for a card without metadata', () => {
    expect(renderModelCard({ metadata: {}, body: '# x\n' })).toBe('# x\n');
  });
});
