import { describe, expect, it } from 'vitest';
import { validateSpec } from '../dtos/job-spec.dto.js';
import { specHyperparameters } from './spec-hyperparameters.js';

const dataset = { builtin: 'gaussian_blobs', rows: 64, features: 6 };

describe('specHyperparameters', () => {
  it("names a mixture's own fields, and no network layers, optimiser or batch size", () => {
    const h = specHyperparameters(validateSpec({ family: 'gmm', dataset, epochs: 50 }));
    expect(h).toMatchObject({
      family: 'gmm',
      epochs: '50',
      'architecture.components': '1',
      'architecture.covariance': 'full',
      'architecture.reg_covar': '0.000001',
      'dataset.rows': '64',
    });
    for (const key of Object.keys(h))
      expect(key).not.toMatch(
        /^(architecture\.(hidden|latent_dim|activation)|optimizer|batch_size|early_stopping|preprocessing\.scaling)/,
      );
  });

  it("names a network's layers and optimiser, and no mixture components", () => {
    const h = specHyperparameters(
      validateSpec({ family: 'vae', dataset, epochs: 5, architecture: { hidden: [8] } }),
    );
    expect(h).toMatchObject({
      'architecture.hidden': '[8]',
      'architecture.latent_dim': '4',
      'optimizer.name': 'adam',
      'preprocessing.scaling': 'standard',
    });
    for (const key of Object.keys(h))
      expect(key).not.toMatch(/^architecture\.(components|covariance|n_init|reg_covar|tol|init)$/);
  });
});
