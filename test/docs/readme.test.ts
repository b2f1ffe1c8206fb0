import { SETTINGS } from '@aimass/config';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const README = readFileSync(join(import.meta.dirname, '..', '..', 'README.md'), 'utf8');

describe('README', () => {
  it('opens with the two commands', () => {
    const firstBlock = README.split('```')[1] ?? '';
    expect(firstBlock).toMatch(/npm start/);
    expect(firstBlock).toMatch(/npm test/);
  });

  it('documents every AIMASS_* setting with its default, and no setting that does not exist', () => {
    const rows = new Map(
      [...README.matchAll(/^\| `(AIMASS_[A-Z0-9_]+)` +\| (.+?) *\|/gm)].map((m) => [m[1]!, m[2]!]),
    );
    for (const s of SETTINGS) {
      expect(rows.has(s.key), `${s.key} missing from the README settings table`).toBe(true);
      const shown = rows.get(s.key)!.replace(/`/g, '');
      expect(shown, `${s.key} default`).toBe(s.default === '' ? '(empty)' : s.default);
    }
    expect([...rows.keys()].filter((k) => !SETTINGS.some((s) => s.key === k))).toEqual([]);
  });
});
