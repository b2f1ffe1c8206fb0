import { fromUnit, isActive, orderedNames, type Params, type SearchSpace } from '@aimass/tuning';

/**
 * A study's job template is a trainer job spec in which a string that is exactly "{{name}}" stands for
 * the trial's value of parameter `name` (a number stays a number). A key whose value names a
 * conditional parameter that is inactive in the trial is left out, so the trainer's default applies.
 */
const PARAMETER_REFERENCE = /^\{\{\s*([A-Za-z0-9_.-]+)\s*\}\}$/;

/** Every parameter name the template refers to. */
export function parametersReferencedBy(template: unknown): string[] {
  const found = new Set<string>();
  const walk = (node: unknown): void => {
    if (typeof node === 'string') {
      const m = PARAMETER_REFERENCE.exec(node);
      if (m) found.add(m[1] as string);
    } else if (Array.isArray(node)) node.forEach(walk);
    else if (node !== null && typeof node === 'object') Object.values(node).forEach(walk);
  };
  walk(template);
  return [...found];
}

/** The template with the trial's parameters in place. */
export function substitute(template: unknown, params: Params, space: SearchSpace): unknown {
  const ABSENT = Symbol('absent');
  const walk = (node: unknown): unknown => {
    if (typeof node === 'string') {
      const m = PARAMETER_REFERENCE.exec(node);
      if (!m) return node;
      const name = m[1] as string;
      return name in params ? params[name] : name in space ? ABSENT : node;
    }
    if (Array.isArray(node)) return node.map(walk).filter((v) => v !== ABSENT);
    if (node !== null && typeof node === 'object')
      return Object.fromEntries(
        Object.entries(node)
          .map(([k, v]) => [k, walk(v)] as const)
          .filter(([, v]) => v !== ABSENT),
      );
    return node;
  };
  return walk(template);
}

/** A parameter set that activates what it can: the middle of each range, the first choice. */
export function representativeParams(space: SearchSpace): Params {
  const params: Params = {};
  for (const name of orderedNames(space)) {
    if (!isActive(space, params, name)) continue;
    const p = space[name]!;
    params[name] = p.type === 'categorical' ? (p.choices[0] as Params[string]) : fromUnit(p, 0.5);
  }
  return params;
}
