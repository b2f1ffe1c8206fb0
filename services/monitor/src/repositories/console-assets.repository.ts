import { NotFoundError } from '@aimass/errors';
import { Injectable } from '@nestjs/common';
import { readFileSync } from 'node:fs';
import path from 'node:path';

export interface ConsoleAsset {
  readonly body: Buffer;
  readonly contentType: string;
}

/** The built console (services/monitor/web, bundled by esbuild into dist/web at build time). */
const ASSET_DIR = path.join(import.meta.dirname, '..', 'web');
const ASSETS: Readonly<Record<string, string>> = {
  'index.html': 'text/html; charset=utf-8',
  'app.js': 'text/javascript; charset=utf-8',
  'app.css': 'text/css; charset=utf-8',
};

/** The console's files, read once and kept: they change only with a new build. */
@Injectable()
export class ConsoleAssetsRepository {
  private readonly cache = new Map<string, ConsoleAsset>();

  get(name: string): ConsoleAsset {
    const contentType = ASSETS[name];
    if (!contentType) throw new NotFoundError(`no console file ${name}`);
    let asset = this.cache.get(name);
    if (!asset) {
      try {
        asset = { body: readFileSync(path.join(ASSET_DIR, name)), contentType };
      } catch (cause) {
        throw new NotFoundError(`the console is not built (${name}): run scripts/build`, { cause });
      }
      this.cache.set(name, asset);
    }
    return asset;
  }
}
