/** Thrown by a strict mock when code under test calls something the test did not name. */
export class UnexpectedCallError extends Error {
  override readonly name = 'UnexpectedCallError';
}

/**
 * Properties that test frameworks and `await` probe on any object. They must read as absent, or
 * a strict mock would look like a promise or an asymmetric matcher to whoever inspects it.
 */
const PROBED = new Set(['then', 'toJSON', 'asymmetricMatch']);

/**
 * A test double for a repository (or any injected class) that fails loudly on every call the test
 * did not name. Pass the expected members, usually `vi.fn()`s the test later asserts on; calling
 * any other member throws UnexpectedCallError. It is its own entry, `@aimass/testing/strict-mock`,
 * so a unit spec uses it without loading the real-server harness.
 *
 *   const metrics = strictMock<MetricsRepository>({ recordWindow: vi.fn() }, 'MetricsRepository');
 */
export function strictMock<T extends object>(expected: Partial<T>, name = 'strictMock'): T {
  return new Proxy(expected, {
    get(target, property, receiver) {
      if (property in target) return Reflect.get(target, property, receiver);
      if (typeof property === 'symbol' || PROBED.has(property)) return undefined;
      return () => {
        throw new UnexpectedCallError(`unexpected call to ${name}.${property}`);
      };
    },
  }) as T;
}
