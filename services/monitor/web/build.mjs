// Builds the console: type-checks web/ (tsc, no output), then bundles it with esbuild into
// dist/web/ (index.html, app.js, app.css), which the monitor serves at / (ConsoleAssetsRepository).
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const web = import.meta.dirname;
const out = path.join(web, '..', 'dist', 'web');
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
execFileSync(process.execPath, [tsc, '-p', path.join(web, 'tsconfig.json')], { stdio: 'inherit' });
mkdirSync(out, { recursive: true });
await build({
  entryPoints: { app: path.join(web, 'src', 'main.tsx') },
  bundle: true,
  minify: true,
  format: 'esm',
  target: 'es2022',
  jsx: 'automatic',
  jsxImportSource: 'preact',
  outdir: out,
  logLevel: 'warning',
});
copyFileSync(path.join(web, 'index.html'), path.join(out, 'index.html'));
