import { describe, expect, it, vi } from 'vitest';
import { strictMock, UnexpectedCallError } from './strict-mock.js';

interface Store {
  get(key: string): number;
  put(key: string, value: number): void;
}

describe('strictMock', () => {
  it('lets the named members through', () => {
    const store = strictMock<Store>({ get: vi.fn().mockReturnValue(7) });
    expect(store.get('a')).toBe(7);
    expect(store.get).toHaveBeenCalledWith('a');
  });

  it('throws on a call the test did not name, saying which', () => {
    const store = strictMock<Store>({ get: vi.fn() }, 'Store');
    expect(() => store.put('a', 1)).toThrow(UnexpectedCallError);
    expect(() => store.put('a', 1)).toThrow('unexpected call to Store.put');
  });

  it('is not mistaken for a promise', async () => {
    const store = strictMock<Store>({});
    await expect(Promise.resolve(store)).resolves.toBe(store);
  });
});
