import { z } from 'zod';

/** A categorical choice: what a user can put in JSON. */
export type CategoricalValue = string | number | boolean;
export type ParamValue = number | CategoricalValue;
/** One trial's parameters by name; a conditional parameter whose condition fails is absent. */
export type Params = Record<string, ParamValue>;

/** A parameter is active only while its categorical parent takes one of `values`. */
export interface Condition {
  readonly parent: string;
  readonly values: readonly CategoricalValue[];
}

export interface FloatParam {
  readonly type: 'float';
  readonly low: number;
  readonly high: number;
  readonly log?: boolean;
  readonly step?: number;
  readonly condition?: Condition;
}
export interface IntParam {
  readonly type: 'int';
  readonly low: number;
  readonly high: number;
  readonly log?: boolean;
  readonly step?: number;
  readonly condition?: Condition;
}
export interface CategoricalParam {
  readonly type: 'categorical';
  readonly choices: readonly CategoricalValue[];
  readonly condition?: Condition;
}
export type ParamSpec = FloatParam | IntParam | CategoricalParam;
export type NumericParam = FloatParam | IntParam;
/** Parameters by name. Order matters only for display; parents are resolved by name. */
export type SearchSpace = Readonly<Record<string, ParamSpec>>;

/** Thrown for a search space that cannot be sampled; the message names every bad field. */
export class InvalidSearchSpaceError extends Error {
  override readonly name = 'InvalidSearchSpaceError';
  constructor(
    readonly issues: readonly { path: string; message: string }[],
    options?: { cause?: unknown },
  ) {
    super(`invalid search space: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`, options);
  }
}

const choice = z.union([z.string(), z.number().refine(Number.isFinite, 'must be finite'), z.boolean()]);
const condition = z.strictObject({ parent: z.string().min(1), values: z.array(choice).min(1) });
const finite = z.number().refine(Number.isFinite, 'must be a finite number');
const numeric = {
  low: finite,
  high: finite,
  log: z.boolean().optional(),
  step: finite.refine((s) => s > 0, 'must be positive').optional(),
  condition: condition.optional(),
};
const paramSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('float'), ...numeric }),
  z.strictObject({ type: z.literal('int'), ...numeric }),
  z.strictObject({
    type: z.literal('categorical'),
    choices: z.array(choice).min(1, 'must list at least one choice'),
    condition: condition.optional(),
  }),
]);

/** Relative slack for "step divides the range": float steps such as 0.1 are not exact in binary. */
const STEP_TOLERANCE = 1e-9;

export const searchSpaceSchema = z.record(z.string().min(1), paramSchema).superRefine((space, ctx) => {
  const names = Object.keys(space);
  if (names.length === 0) ctx.addIssue({ code: 'custom', message: 'must define at least one parameter' });
  for (const [name, p] of Object.entries(space)) {
    if (p.type !== 'categorical') {
      const bad = (field: string, message: string) =>
        ctx.addIssue({ code: 'custom', path: [name, field], message });
      if (p.low >= p.high) bad('high', `must be greater than low (low ${p.low}, high ${p.high})`);
      if (p.log && p.low <= 0) bad('low', `must be positive on a log scale (got ${p.low})`);
      if (p.log && p.step !== undefined && !(p.type === 'int' && p.step === 1))
        bad('step', 'cannot be combined with log');
      if (p.type === 'int') {
        if (!Number.isInteger(p.low)) bad('low', `must be an integer (got ${p.low})`);
        if (!Number.isInteger(p.high)) bad('high', `must be an integer (got ${p.high})`);
        if (p.step !== undefined && !Number.isInteger(p.step))
          bad('step', `must be an integer (got ${p.step})`);
      }
      if (p.step !== undefined && p.low < p.high) {
        const n = (p.high - p.low) / p.step;
        if (n < 1 - STEP_TOLERANCE) bad('step', `is larger than the range ${p.high - p.low}`);
        else if (Math.abs(n - Math.round(n)) > STEP_TOLERANCE * Math.max(1, n))
          bad('step', `must divide high - low (${p.high - p.low}) into whole steps`);
      }
    } else if (new Set(p.choices).size !== p.choices.length) {
      ctx.addIssue({ code: 'custom', path: [name, 'choices'], message: 'must not repeat a choice' });
    }
    if (p.condition) {
      const parent = space[p.condition.parent];
      const at = [name, 'condition', 'parent'];
      if (!parent)
        ctx.addIssue({
          code: 'custom',
          path: at,
          message: `names unknown parameter "${p.condition.parent}"`,
        });
      else if (parent.type !== 'categorical')
        ctx.addIssue({ code: 'custom', path: at, message: `"${p.condition.parent}" is not categorical` });
      else
        for (const v of p.condition.values)
          if (!parent.choices.includes(v))
            ctx.addIssue({
              code: 'custom',
              path: [name, 'condition', 'values'],
              message: `${JSON.stringify(v)} is not a choice of "${p.condition.parent}"`,
            });
    }
  }
  for (const name of names) {
    const seen = new Set<string>();
    for (let n: string | undefined = name; n !== undefined; n = space[n]?.condition?.parent) {
      if (seen.has(n)) {
        ctx.addIssue({ code: 'custom', path: [name, 'condition'], message: 'conditions form a cycle' });
        break;
      }
      seen.add(n);
    }
  }
});

/** Checks a search space from outside (JSON); throws InvalidSearchSpaceError naming each bad field. */
export function parseSearchSpace(input: unknown, root = 'space'): SearchSpace {
  const r = searchSpaceSchema.safeParse(input);
  if (r.success) return r.data as SearchSpace;
  throw new InvalidSearchSpaceError(
    r.error.issues.map((i) => ({ path: [root, ...i.path.map(String)].join('.'), message: i.message })),
    { cause: r.error },
  );
}

/** Names with every parent before its children, otherwise in declaration order. */
export function orderedNames(space: SearchSpace): string[] {
  const out: string[] = [];
  const placed = new Set<string>();
  const place = (name: string) => {
    if (placed.has(name)) return;
    const parent = space[name]!.condition?.parent;
    placed.add(name);
    if (parent !== undefined) place(parent);
    out.push(name);
  };
  for (const name of Object.keys(space)) place(name);
  return out;
}

/** Whether `name` is active given the (partial) parameters chosen so far for its ancestors. */
export function isActive(space: SearchSpace, params: Params, name: string): boolean {
  const c = space[name]!.condition;
  if (!c) return true;
  if (!(c.parent in params) || !isActive(space, params, c.parent)) return false;
  return c.values.includes(params[c.parent] as CategoricalValue);
}

/** The number of distinct values a numeric parameter can take; Infinity for a continuous float. */
export function numericCardinality(p: NumericParam): number {
  if (p.type === 'float' && p.step === undefined) return Infinity;
  const step = p.step ?? 1;
  return Math.round((p.high - p.low) / step) + 1;
}

/**
 * Maps a value in [0, 1] to the parameter's scale. Discrete values own equal slices of the unit
 * interval (the range is widened by half a step on each side), so each value is equally likely under a
 * uniform draw and `toUnit` returns the middle of its slice.
 */
export function fromUnit(p: NumericParam, u: number): number {
  const x = Math.min(1, Math.max(0, u));
  if (p.log) {
    const pad = p.type === 'int' ? 0.5 : 0;
    const lo = Math.log(p.low - pad);
    const hi = Math.log(p.high + pad);
    const v = Math.exp(lo + x * (hi - lo));
    return p.type === 'int'
      ? Math.min(p.high, Math.max(p.low, Math.round(v)))
      : Math.min(p.high, Math.max(p.low, v));
  }
  const step = p.step ?? (p.type === 'int' ? 1 : undefined);
  if (step === undefined) return p.low + x * (p.high - p.low);
  const n = Math.round((p.high - p.low) / step);
  const k = Math.min(n, Math.max(0, Math.floor(x * (n + 1))));
  return roundLike(p.low + k * step, step);
}

export function toUnit(p: NumericParam, v: number): number {
  if (p.log) {
    const pad = p.type === 'int' ? 0.5 : 0;
    const lo = Math.log(p.low - pad);
    const hi = Math.log(p.high + pad);
    return clamp01((Math.log(v) - lo) / (hi - lo));
  }
  const step = p.step ?? (p.type === 'int' ? 1 : undefined);
  if (step === undefined) return clamp01((v - p.low) / (p.high - p.low));
  const n = Math.round((p.high - p.low) / step);
  const k = Math.min(n, Math.max(0, Math.round((v - p.low) / step)));
  return (k + 0.5) / (n + 1);
}

/** Snaps a unit value onto the parameter's grid (identity for a continuous float). */
export function snapUnit(p: NumericParam, u: number): number {
  return toUnit(p, fromUnit(p, u));
}

function clamp01(x: number): number {
  return Math.min(1, Math.max(0, x));
}

/** low + k·step computed in floating point drifts (0.1 + 2·0.1); keep the step's decimals. */
function roundLike(v: number, step: number): number {
  const decimals = Math.min(15, Math.max(0, -Math.floor(Math.log10(step)) + 6));
  return Number(v.toFixed(decimals));
}
