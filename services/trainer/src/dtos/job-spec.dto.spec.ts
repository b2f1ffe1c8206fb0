import { InvalidArgumentError } from '@aimass/errors';
import { describe, expect, it } from 'vitest';
import { validateSpec } from './job-spec.dto.js';

const good = { family: 'vae', dataset: { builtin: 'anomaly_blobs', rows: 200, features: 8 }, epochs: 2 };

describe('validateSpec', () => {
  it('fills the defaults of a minimal spec', () => {
    const spec = validateSpec(good);
    expect(spec).toMatchObject({
      family: 'vae',
      pool: 'cpu',
      checkpoint_every: 1,
      optimizer: { name: 'adam', learning_rate: 0.001, lr_scaling: 'sqrt' },
      preprocessing: { scaling: 'standard', validation_split: 0.2 },
      // Early stopping is on unless turned off, and the best epoch's weights are exported.
      early_stopping: { patience: 10, min_delta: 0, restore_best: true },
      threshold_percentile: 99,
    });
    // The node's backend picks the batch size when the spec names none.
    expect(spec.batch_size).toBeUndefined();
    expect(spec.architecture).toMatchObject({ hidden: [64], latent_dim: 4, activation: 'relu' });
  });

  it.each([
    ['standard scaling (the default)', {}, 'linear'],
    ['robust scaling', { preprocessing: { scaling: 'robust' } }, 'linear'],
    ['no scaling', { preprocessing: { scaling: 'none' } }, 'linear'],
    ['min-max scaling', { preprocessing: { scaling: 'minmax' } }, 'sigmoid'],
    ['a bce loss', { architecture: { reconstruction_loss: 'bce' } }, 'sigmoid'],
    ['an output activation named', { architecture: { output_activation: 'tanh' } }, 'tanh'],
  ])('picks the output activation the scaled features can take: %s', (_what, extra, expected) => {
    expect(validateSpec({ ...good, ...extra }).architecture.output_activation).toBe(expected);
  });

  it("gives a mixture scikit-learn's GaussianMixture defaults (one start, k-means)", () => {
    expect(validateSpec({ ...good, family: 'gmm' }).architecture).toMatchObject({
      components: 1,
      covariance: 'full',
      n_init: 1,
      reg_covar: 1e-6,
      tol: 1e-3,
      init: 'kmeans',
    });
  });

  it.each([
    ['an unknown family', { ...good, family: 'transformer' }, 'family must be one of ae, vae, gan, gmm'],
    ['negative epochs', { ...good, epochs: -3 }, 'epochs must be at least 1'],
    ['zero epochs', { ...good, epochs: 0 }, 'epochs must be at least 1'],
    ['fractional epochs', { ...good, epochs: 1.5 }, 'epochs'],
    ['no dataset', { family: 'ae', epochs: 1 }, 'dataset'],
    ['an unknown built-in dataset', { ...good, dataset: { builtin: 'imagenet' } }, 'builtin must be one of'],
    ['an S3 dataset without a format', { ...good, dataset: { s3_key: 'd.csv' } }, 'dataset'],
    [
      'a latent dimension larger than the input',
      { ...good, architecture: { latent_dim: 9 } },
      'latent_dim 9 must be smaller than the 8 input features',
    ],
    [
      'a latent dimension equal to the input',
      { ...good, architecture: { latent_dim: 8 } },
      'latent_dim 8 must be smaller',
    ],
    ['an unknown optimiser', { ...good, optimizer: { name: 'lbfgs' } }, 'optimizer.name'],
    ['a negative learning rate', { ...good, optimizer: { learning_rate: -1 } }, 'optimizer.learning_rate'],
    ['a zero batch size', { ...good, batch_size: 0 }, 'batch_size'],
    ['a negative reg_covar', { ...good, family: 'gmm', architecture: { reg_covar: -1 } }, 'reg_covar'],
    ['a zero tol', { ...good, family: 'gmm', architecture: { tol: 0 } }, 'tol'],
    [
      'an unknown mixture init',
      { ...good, family: 'gmm', architecture: { init: 'random_from_data' } },
      'init',
    ],
    ['an unknown learning-rate scaling', { ...good, optimizer: { lr_scaling: 'cubic' } }, 'lr_scaling'],
    [
      'a zero reference batch size',
      { ...good, optimizer: { reference_batch_size: 0 } },
      'reference_batch_size',
    ],
    ['an unknown metric', { ...good, metrics: ['accuracy'] }, 'metrics'],
    ['an unknown scaling', { ...good, preprocessing: { scaling: 'log' } }, 'preprocessing.scaling'],
    ['a threshold percentile of 100', { ...good, threshold_percentile: 100 }, 'below 100'],
    ['a threshold percentile of 0', { ...good, threshold_percentile: 0 }, 'above 0'],
    ['a threshold percentile as text', { ...good, threshold_percentile: '99' }, 'threshold_percentile'],
    ['early_stopping: true', { ...good, early_stopping: true }, 'early_stopping must be false or'],
    ['a zero patience', { ...good, early_stopping: { patience: 0 } }, 'early_stopping'],
    [
      'a metric of another family',
      { ...good, metrics: ['bic'] },
      'metric "bic" does not apply to family vae',
    ],
    [
      'AUROC on unlabelled data',
      { ...good, dataset: { builtin: 'sine_waves' }, metrics: ['auroc'] },
      'needs anomaly labels',
    ],
    ['an unknown field', { ...good, epoch: 3 }, 'epoch'],
    ['an unknown pool', { ...good, pool: 'tpu' }, 'pool'],
    ['a model name with a slash', { ...good, model_name: 'a/b' }, 'model_name'],
    [
      'a GMM with more components than rows',
      {
        ...good,
        family: 'gmm',
        dataset: { builtin: 'gaussian_blobs', rows: 10 },
        architecture: { components: 11 },
      },
      'at least as many rows as components',
    ],
    [
      'a GMM with an unknown covariance type',
      { ...good, family: 'gmm', architecture: { covariance: 'isotropic' } },
      'architecture.covariance',
    ],
    ['an array', [good], 'must be a JSON object'],
    ['null', null, 'must be a JSON object'],
  ])('refuses %s, naming the problem', (_what, spec, expected) => {
    let error: unknown;
    try {
      validateSpec(spec);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect((error as Error).message).toMatch(/^invalid training spec: /);
    expect((error as Error).message).toContain(expected);
  });

  it.each([
    [
      'an AE on MNIST',
      {
        family: 'ae',
        dataset: { builtin: 'mnist', rows: 100 },
        epochs: 1,
        architecture: { hidden: [256], latent_dim: 32 },
      },
    ],
    [
      'a GAN whose noise is wider than the data',
      {
        family: 'gan',
        dataset: { builtin: 'sine_waves', features: 4 },
        epochs: 1,
        architecture: { latent_dim: 16 },
      },
    ],
    [
      'an S3 CSV with labels and AUROC',
      {
        family: 'ae',
        dataset: { s3_key: 'x.csv', format: 'csv', label_column: 'label' },
        epochs: 1,
        metrics: ['auroc', 'auprc'],
      },
    ],
    [
      'a diagonal GMM with AUROC',
      {
        family: 'gmm',
        dataset: { builtin: 'anomaly_blobs' },
        epochs: 50,
        architecture: { components: 3, covariance: 'diag' },
        metrics: ['log_likelihood', 'bic', 'auroc'],
      },
    ],
    [
      'a schedule and early stopping',
      {
        ...good,
        optimizer: {
          name: 'rmsprop',
          learning_rate: 0.01,
          schedule: { type: 'step', rate: 0.5, step_epochs: 2 },
        },
        early_stopping: { patience: 2 },
      },
    ],
    ['robust scaling', { ...good, preprocessing: { scaling: 'robust' } }],
    ['min-max scaling', { ...good, preprocessing: { scaling: 'minmax' } }],
    ['a 95th-percentile threshold', { ...good, threshold_percentile: 95 }],
  ])('accepts %s', (_what, spec) => {
    expect(() => validateSpec(spec)).not.toThrow();
  });

  it('turns early stopping off with "early_stopping": false', () => {
    expect(validateSpec({ ...good, early_stopping: false }).early_stopping).toBe(false);
    expect(validateSpec({ ...good, early_stopping: { patience: 3 } }).early_stopping).toEqual({
      patience: 3,
      min_delta: 0,
      restore_best: true,
    });
  });
});
