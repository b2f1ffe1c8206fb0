import type { registryv1 } from '@aimass/contracts';
import { parseModelCard } from '@aimass/model-card';
import { makeScratchDir, startMesh, type Mesh } from '@aimass/testing';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../../cli/src/program.js';
import { call, registryClient } from './harness.js';

// The must-show path for datasets: a CSV with a header and quoted fields goes in with `data push`,
// a job trains on it by name, and the served model answers `predict`. Bad files are refused at the
// door with the row and column named, and nothing of them is stored.

const LIMIT = 64 * 1024;
let mesh: Mesh;
let dir: string;

beforeAll(async () => {
  dir = makeScratchDir('dataset-push');
  mesh = await startMesh({
    stateDir: dir,
    services: ['registry', 'trainer', 'inference'],
    extraEnv: { AIMASS_LOG_LEVEL: 'warn', AIMASS_MAX_DATASET_BYTES: String(LIMIT) },
  });
});

afterAll(async () => {
  await mesh?.stop();
});

/** 240 rows: four correlated features, the last 12 rows far off and labelled 1. Headers and some values are quoted. */
function csvText(): string {
  const lines = ['"width, cm","height, cm","mass (g)","ratio ""a/b""",anomaly'];
  for (let i = 0; i < 240; i++) {
    const t = (i % 40) / 40;
    const off = i >= 228 ? 6 : 0;
    const row = [1 + t + off, 2 - t, 3 + 2 * t - off, 0.5 * t + off].map((v) => v.toFixed(4));
    lines.push(`"${row[0]}",${row[1]},"${row[2]}",${row[3]},${off ? 1 : 0}`);
  }
  return lines.join('\r\n') + '\r\n';
}

function cli() {
  const out: string[] = [];
  const err: string[] = [];
  const envFile = path.join(dir, 'stack.env');
  fs.writeFileSync(
    envFile,
    Object.entries(mesh.env)
      .map(([k, v]) => `${k}=${v}`)
      .join('\n') + '\n',
  );
  const io = {
    stdout: { write: (s: string) => out.push(s) },
    stderr: { write: (s: string) => err.push(s), isTTY: false },
    env: { AIMASS_STACK_ENV: envFile },
  };
  const run = async (args: string[]) => {
    out.length = 0;
    err.length = 0;
    return runCli(args, io as never);
  };
  return { run, out: () => out.join(''), err: () => err.join('') };
}

describe('datasets: data push, then train on it by name, then predict', () => {
  it('stores a quoted CSV as a versioned dataset, trains an AE on it and serves the model', async () => {
    const { run, out, err } = cli();
    const file = path.join(dir, 'parts.csv');
    fs.writeFileSync(file, csvText());

    expect(await run(['data', 'push', file, '--name', 'e2e-parts', '--description', 'parts']), err()).toBe(0);
    expect(out()).toBe('e2e-parts 1\n');
    expect(err()).toMatch(/240 rows × 5 columns, .*sha256 [0-9a-f]{64}/);

    expect(await run(['data', 'list']), err()).toBe(0);
    expect(out()).toMatch(/^e2e-parts\s+1\s+csv\s+240\s+5\s/m);
    expect(await run(['data', 'show', 'e2e-parts']), err()).toBe(0);
    expect(out()).toMatch(/^rows:\s+240$/m);
    expect(out()).toMatch(/^width, cm\s+1\.\d+\s/m);
    expect(out()).toMatch(/^ratio "a\/b"\s/m);

    const spec = path.join(dir, 'spec.json');
    fs.writeFileSync(
      spec,
      JSON.stringify({
        family: 'ae',
        dataset: { name: 'e2e-parts', label_column: 'anomaly' },
        architecture: { hidden: [8], latent_dim: 2 },
        epochs: 3,
        batch_size: 32,
        metrics: ['auroc'],
        model_name: 'e2e-parts-ae',
      }),
    );
    expect(await run(['train', spec, '--wait', '--job-id', 'e2e-parts-job']), err()).toBe(0);
    expect(out().trim().split('\n').at(-1)).toBe('e2e-parts-ae 1');

    // The job was pinned to the version that was latest when it was submitted.
    expect(await run(['jobs', 'show', 'e2e-parts-job']), err()).toBe(0);
    expect(out()).toMatch(/"name": "e2e-parts",\s+"label_column": "anomaly",\s+"version": 1/);

    // The version's lineage names the job and the dataset with its digest.
    const registered = await call<registryv1.GetDatasetRequest, registryv1.Dataset__Output>(
      registryClient(mesh),
      'GetDataset',
      { name: 'e2e-parts', version: 1 },
    );
    expect(await run(['versions', 'show', 'e2e-parts-ae', '1']), err()).toBe(0);
    expect(out()).toMatch(/^job:\s+e2e-parts-job$/m);
    expect(out()).toContain(`e2e-parts@1, sha256 ${registered.sha256}`);
    expect(out()).toMatch(/^metrics:\s+.*auroc=/m);
    // The export was checked against the trainer's own scoring before it was registered.
    expect(out()).toMatch(
      /^hyperparameters:\s+.*parity\.atol=0\.0001, parity\.rows=192, parity\.rtol=0\.001/m,
    );
    expect(out()).toMatch(/^metrics:\s+.*parity\.anomaly\.score\.max_abs_diff=[\d.e-]+/m);
    // The anomaly threshold: the 99th percentile of the training rows' scores, baked into is_anomaly.
    expect(out()).toMatch(
      /^threshold:\s+[\d.e-]+ \(99th percentile of the training scores; is_anomaly = score > threshold\)$/m,
    );

    // The model got a generated card: family, the data set with its digest, the hyperparameters,
    // the metrics and the parity figures, and front matter the registry validated.
    expect(await run(['models', 'show', 'e2e-parts-ae']), err()).toBe(0);
    expect(out()).toMatch(
      /^model card:\s+no license, generated by aimass-trainer job e2e-parts-job, "e2e-parts-ae"/m,
    );
    expect(await run(['models', 'show', 'e2e-parts-ae', '--card']), err()).toBe(0);
    const card = parseModelCard(out());
    expect(card.metadata).toMatchObject({
      generated_by: 'aimass-trainer job e2e-parts-job',
      tags: ['aimass', 'ae', 'anomaly'],
      datasets: ['e2e-parts@1'],
    });
    expect(card.metadata.metrics).toContain('auroc');
    expect(card.body).toContain(`Content SHA-256: \`${registered.sha256}\``);
    expect(card.body).toMatch(/\| `family` \| `ae` \|/);
    expect(card.body).toMatch(/\| `auroc` \| [\d.e-]+ \|/);
    expect(card.body).toMatch(/rows 192, rtol 0\.001, atol 0\.0001/);
    expect(card.body).toMatch(/\| `anomaly\.score` \| [\d.e-]+ \|/);

    const version = await call<registryv1.GetVersionRequest, registryv1.ModelVersion__Output>(
      registryClient(mesh),
      'GetVersion',
      { model: 'e2e-parts-ae', version: '1' },
    );
    const input = version.signature?.inputs[0];
    const request = path.join(dir, 'request.json');
    fs.writeFileSync(
      request,
      JSON.stringify({
        inputs: [{ name: input?.name, datatype: 'FP32', shape: [2, 4], data: [1, 2, 3, 0, 7, 2, -3, 6] }],
      }),
    );
    expect(await run(['predict', 'e2e-parts-ae', '--input', request]), err()).toBe(0);
    const outputs = (JSON.parse(out()) as { outputs: { name: string; data: number[] }[] }).outputs;
    const score = outputs.find((o) => o.name === 'score') ?? outputs[0];
    expect(score?.data).toHaveLength(2);
    // The far-off row scores worse than a normal one.
    expect(score?.data[1]).toBeGreaterThan(score?.data[0] as number);
  });

  it('refuses bad files with the row and column named, and stores none of them', async () => {
    const { run, err } = cli();
    const write = (name: string, content: string | Buffer) => {
      const file = path.join(dir, name);
      fs.writeFileSync(file, content);
      return file;
    };
    const bad: [string, string, RegExp][] = [
      [
        'ragged rows',
        write('ragged.csv', 'a,b,c\n1,2,3\n4,5\n'),
        /INVALID_ARGUMENT: .*row 2 has 2 values but row 1 has 3.*\(no value for column "c"\)/,
      ],
      [
        'text in a numeric column',
        write('text.csv', 'a,"b, quoted"\n1,2\n3,"n/a"\n'),
        /INVALID_ARGUMENT: .*row 2, column "b, quoted" is "n\/a", not a finite number/,
      ],
      ['an empty file', write('empty.csv', ''), /INVALID_ARGUMENT: the dataset file is empty/],
      ['a header and no rows', write('header.csv', 'a,b,label\n'), /INVALID_ARGUMENT: .*has no rows/],
      [
        'a file over the size limit',
        write('big.csv', 'a\n' + '1\n'.repeat(LIMIT)),
        new RegExp(`RESOURCE_EXHAUSTED: dataset of \\d+ bytes exceeds the registry limit of ${LIMIT} bytes`),
      ],
      [
        'an extension that names no format',
        write('data.txt', '1,2\n'),
        /cannot tell the format of .*data\.txt from its extension; name it with --format/,
      ],
      ['a missing file', path.join(dir, 'nope.csv'), /cannot read .*nope\.csv: no such file/],
    ];
    for (const [what, file, message] of bad) {
      expect(await run(['data', 'push', file, '--name', 'e2e-bad']), what).toBe(1);
      expect(err(), what).toMatch(message);
    }
    expect(await run(['data', 'show', 'e2e-bad']), 'nothing stored').toBe(1);
    expect(err()).toMatch(/NOT_FOUND: no dataset is named "e2e-bad"/);
    expect(await run(['data', 'push', 'x.csv', '--name', 'e2e-bad', '--format', 'xls'])).toBe(2);
    expect(await run(['data', 'show', 'e2e-parts', '0'])).toBe(2);

    // A job on a dataset that does not exist is refused when it is submitted.
    const spec = write(
      'nodata.json',
      JSON.stringify({ family: 'ae', dataset: { name: 'e2e-none' }, epochs: 1 }),
    );
    expect(await run(['train', spec])).toBe(1);
    expect(err()).toMatch(/NOT_FOUND: no dataset is named "e2e-none"/);

    // Labels that leave no feature to train on fail the job with a reason.
    expect(
      await run(['data', 'push', write('only-label.csv', 'label\n0\n1\n0\n'), '--name', 'e2e-lab']),
    ).toBe(0);
    const onlyLabel = write(
      'only-label.json',
      JSON.stringify({ family: 'ae', dataset: { name: 'e2e-lab', label_column: 'label' }, epochs: 1 }),
    );
    expect(await run(['train', onlyLabel, '--wait'])).toBe(1);
    expect(err()).toMatch(/no feature columns/);
  });
});
