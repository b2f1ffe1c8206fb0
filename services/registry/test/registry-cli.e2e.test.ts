import { exportDenseNetwork, randomDenseNetwork } from '@aimass/onnx';
import { makeScratchDir } from '@aimass/testing';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { captureIo } from '../../../cli/test/capture-io.js';
import { runCli } from '../../../cli/src/program.js';
import { sha256, startRegistry, type RegistryUnderTest } from './registry-harness.js';

// The registry commands of the aimass CLI, run in-process against a real registry process.

let t: RegistryUnderTest;
let address: string;
const tmp = makeScratchDir('registry-cli');
// About 3 MiB: a progress bar worth showing, and a tail left to resume.
const model = Buffer.from(
  exportDenseNetwork(
    randomDenseNetwork({ inputDim: 512, hidden: [], outputDim: 1500, seed: 11, activation: 'relu' }),
  ),
);
const modelFile = path.join(tmp, 'model.onnx');

async function cli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const io = captureIo({ AIMASS_STACK_ENV: path.join(tmp, 'no-stack.env') });
  const code = await runCli(['--registry', address, ...args], io);
  return { code, out: io.out(), err: io.err() };
}

beforeAll(async () => {
  t = await startRegistry();
  address = t.registry.address;
  fs.writeFileSync(modelFile, model);
});
afterAll(async () => t?.stop());

describe('aimass models create|search', () => {
  it('creates models with owner, framework, tags and a model card, and searches them page by page', async () => {
    const card = path.join(tmp, 'card.md');
    fs.writeFileSync(card, '# Fraud scorer\n\nTrained on 2024 transactions.\n');
    const created = await cli(
      'models',
      'create',
      'fraud-a',
      '--owner',
      'risk',
      '--framework',
      'onnx',
      '--tag',
      'team=risk',
      '--tag',
      'tier=gold',
      '--card',
      card,
      '--description',
      'scores',
    );
    expect(created).toMatchObject({ code: 0, out: 'fraud-a\n' });
    for (const name of ['fraud-b', 'fraud-c'])
      expect((await cli('models', 'create', name, '--owner', 'risk', '--tag', 'team=risk')).code).toBe(0);
    expect((await cli('models', 'create', 'churn', '--owner', 'growth')).code).toBe(0);

    const again = await cli('models', 'create', 'fraud-a');
    expect(again.code).toBe(1);
    expect(again.err).toMatch(/ALREADY_EXISTS|exists/);

    const first = await cli('models', 'search', '--tag', 'team=risk', '--page-size', '2');
    expect(first.code).toBe(0);
    expect(
      first.out
        .split('\n')
        .slice(1, -1)
        .map((l) => l.split(/\s{2,}/)[0]),
    ).toEqual(['fraud-a', 'fraud-b']);
    const token = /--page-token (\S+)/.exec(first.err)?.[1];
    expect(first.err).toMatch(/^2 of 3 matching models; next page: --page-token /);
    const second = await cli(
      'models',
      'search',
      '--tag',
      'team=risk',
      '--page-size',
      '2',
      '--page-token',
      token!,
    );
    expect(
      second.out
        .split('\n')
        .slice(1, -1)
        .map((l) => l.split(/\s{2,}/)[0]),
    ).toEqual(['fraud-c']);
    expect(second.err).toBe('1 of 3 matching models\n');

    const byOwner = await cli('models', 'search', '--owner', 'growth', '--order-by', '-name');
    expect(byOwner.out).toMatch(/^NAME.*\nchurn /);
    const gold = await cli('models', 'search', '--prefix', 'fraud', '--tag', 'tier=gold');
    expect(gold.out).toContain('team=risk');
    expect(gold.out.split('\n').length).toBe(3);

    const shown = await cli('models', 'show', 'fraud-a');
    expect(shown.out).toMatch(/description:\s+scores\n/);
    expect(shown.out).toMatch(/owner:\s+risk\n/);
    expect(shown.out).toMatch(
      /model card:\s+no license, written by hand, "Fraud scorer", \(--card prints it\)/,
    );
    const whole = await cli('models', 'show', 'fraud-a', '--card');
    expect(whole.out).toBe('# Fraud scorer\n\nTrained on 2024 transactions.\n');
  });

  it.each([
    ['a tag without =', ['models', 'create', 'x', '--tag', 'team'], /expected key=value/],
    ['page size 0', ['models', 'search', '--page-size', '0'], /expected a page size from 1 to 1000/],
    ['an archive without VERSION', ['versions', 'archive', 'x'], /missing required argument 'VERSION'/],
    ['a download without --output', ['versions', 'download', 'x'], /required option '-o, --output <FILE>'/],
  ])('refuses %s as a usage error', async (_what, args, message) => {
    const result = await cli(...args);
    expect(result.code).toBe(2);
    expect(result.err).toMatch(message);
  });

  it('reports a bad order key from the registry as INVALID_ARGUMENT', async () => {
    const result = await cli('models', 'search', '--order-by', 'size');
    expect(result.code).toBe(1);
    expect(result.err).toMatch(/INVALID_ARGUMENT.*order_by must be one of name, created_at, updated_at/);
  });
});

describe('aimass versions download|archive and alias history', () => {
  it('downloads a version whole, resumes a partial file, and refuses a partial file of other bytes', async () => {
    const pushed = await cli('models', 'push', 'scorer', modelFile, '--alias', 'production');
    expect(pushed).toMatchObject({ code: 0, out: '1\n' });

    const whole = path.join(tmp, 'whole.onnx');
    const full = await cli('versions', 'download', 'scorer', '-o', whole);
    expect(full.code).toBe(0);
    expect(full.out).toMatch(/^scorer v1 -> .*whole\.onnx \(\d\.\d MiB, sha256 ok\)\n$/);
    expect(sha256(fs.readFileSync(whole))).toBe(sha256(model));

    const partial = path.join(tmp, 'partial.onnx');
    fs.writeFileSync(partial, model.subarray(0, 1_234_567));
    const resumed = await cli('versions', 'download', 'scorer', 'production', '-o', partial, '--resume');
    expect(resumed.code).toBe(0);
    expect(resumed.out).toMatch(/1\.\d MiB were already there, sha256 ok/);
    expect(fs.readFileSync(partial).equals(model)).toBe(true);

    const done = await cli('versions', 'download', 'scorer', '1', '-o', partial, '--resume');
    expect(done.code).toBe(0);
    expect(fs.readFileSync(partial).equals(model)).toBe(true);

    const foreign = path.join(tmp, 'foreign.onnx');
    fs.writeFileSync(foreign, Buffer.alloc(1000, 7));
    const mismatch = await cli('versions', 'download', 'scorer', '-o', foreign, '--resume');
    expect(mismatch.code).toBe(1);
    expect(mismatch.err).toMatch(/does not match version 1 of scorer.*download again without --resume/);

    const tooLong = path.join(tmp, 'too-long.onnx');
    fs.writeFileSync(tooLong, Buffer.concat([model, Buffer.alloc(10)]));
    const beyond = await cli('versions', 'download', 'scorer', '-o', tooLong, '--resume');
    expect(beyond.code).toBe(1);
    expect(beyond.err).toMatch(/INVALID_ARGUMENT: offset \d+ is outside the artifact/);

    const missing = await cli('versions', 'download', 'scorer', '9', '-o', path.join(tmp, 'none.onnx'));
    expect(missing.code).toBe(1);
    expect(missing.err).toMatch(/NOT_FOUND: model "scorer" has no version 9/);
  });

  it('archives a version only once no alias points at it, restores it, and shows every alias move', async () => {
    expect((await cli('models', 'push', 'ranker', modelFile, '--alias', 'production')).out).toBe('1\n');
    expect((await cli('models', 'push', 'ranker', modelFile)).out).toBe('2\n');

    const refused = await cli('versions', 'archive', 'ranker', '1');
    expect(refused.code).toBe(1);
    expect(refused.err).toMatch(/FAILED_PRECONDITION: .*production points at it/);

    expect((await cli('alias', 'set', 'ranker', 'production', '2')).code).toBe(0);
    expect((await cli('alias', 'set', 'ranker', 'staging', '1')).code).toBe(0);
    expect((await cli('alias', 'delete', 'ranker', 'staging')).code).toBe(0);
    const archived = await cli('versions', 'archive', 'ranker', '1');
    expect(archived).toMatchObject({ code: 0, out: 'ranker v1 is ARCHIVED\n' });
    expect((await cli('versions', 'list', 'ranker')).out).toMatch(/\n1\s+ARCHIVED/);
    expect(await cli('versions', 'restore', 'ranker', '1')).toMatchObject({
      code: 0,
      out: 'ranker v1 is READY\n',
    });

    const history = await cli('alias', 'history', 'ranker');
    expect(history.code).toBe(0);
    const rows = history.out
      .trimEnd()
      .split('\n')
      .slice(1)
      .map((l) => l.split(/\s{2,}/).slice(1, 4));
    expect(rows).toEqual([
      ['production', '-', '1'],
      ['production', '1', '2'],
      ['staging', '-', '1'],
      ['staging', '1', '-'],
    ]);
    const staging = await cli('alias', 'history', 'ranker', 'staging');
    expect(staging.out.trimEnd().split('\n')).toHaveLength(3);
  });
});
