import type { JobSpec } from '@aimass/contracts';

/** The architecture fields of a mixture; the others shape a network. */
const MIXTURE_FIELDS = ['components', 'covariance', 'n_init', 'reg_covar', 'tol', 'init'];
/** What a mixture's EM never reads: it fits raw features in full batches, with no optimiser. */
const NOT_FOR_MIXTURES = ['optimizer', 'batch_size', 'early_stopping', 'preprocessing.scaling'];

/**
 * A version's hyperparameters: the validated spec flattened to `path: value` (lists and numbers as
 * JSON), without the defaults of fields its family never reads, so a GMM's card and lineage name no
 * network layers and an AE's no mixture components.
 */
export function specHyperparameters(spec: JobSpec): Record<string, string> {
  const mixture = spec.family === 'gmm';
  const unused = (path: string) => {
    const [head, field] = path.split('.');
    if (head === 'architecture' && field !== undefined) return MIXTURE_FIELDS.includes(field) !== mixture;
    return mixture && NOT_FOR_MIXTURES.some((p) => path === p || path.startsWith(`${p}.`));
  };
  const out: Record<string, string> = {};
  const walk = (value: unknown, at: string) => {
    if (value !== null && typeof value === 'object' && !Array.isArray(value))
      for (const [k, v] of Object.entries(value)) walk(v, at ? `${at}.${k}` : k);
    else if (!unused(at)) out[at] = typeof value === 'string' ? value : JSON.stringify(value);
  };
  walk(spec, '');
  return out;
}
