// Bundles the trainer (tsc's output, which carries the decorator metadata Nest's injection reads)
// into one ES module for the offline node bundle. Used by scripts/bundle; argv: the output file.
import { build } from 'esbuild';
import path from 'node:path';

const [outfile] = process.argv.slice(2);
if (!outfile) throw new Error('usage: node esbuild-trainer.mjs OUTFILE');
const root = path.resolve(import.meta.dirname, '..', '..');

// Nest loads its transports' packages with createRequire(import.meta.url)(name) at run time, which
// no bundler can follow. Nest's `module` imports get a createRequire that answers those names with
// the bundled copies (one copy in the process) and anything else as Node would.
const NEST_REQUIRE = `
import { createRequire as nodeCreateRequire } from 'node:module';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import * as natsTransport from '@nats-io/transport-node';
export * from 'node:module';
const bundled = { '@grpc/grpc-js': grpc, '@grpc/proto-loader': protoLoader, '@nats-io/transport-node': natsTransport };
export function createRequire(from) {
  const require = nodeCreateRequire(from);
  const answer = (id) => (Object.hasOwn(bundled, id) ? bundled[id] : require(id));
  answer.resolve = require.resolve;
  return answer;
}
`;

const nestRequire = {
  name: 'nest-require',
  setup(b) {
    b.onResolve({ filter: /^module$/ }, (args) =>
      args.importer.includes(`${path.sep}@nestjs${path.sep}`)
        ? { path: 'nest-require', namespace: 'aimass' }
        : undefined,
    );
    b.onLoad({ filter: /^nest-require$/, namespace: 'aimass' }, () => ({
      contents: NEST_REQUIRE,
      loader: 'js',
      resolveDir: path.join(root, 'libs', 'grpc'),
    }));
  },
};

await build({
  entryPoints: [path.join(root, 'services', 'trainer', 'dist', 'bin.js')],
  outfile,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node22',
  logLevel: 'warning',
  legalComments: 'none',
  plugins: [nestRequire],
  // Native packages (copied beside the bundle), libtensorflow's optional bindings (the bundle trains on
  // WebGPU, wasm or cpu), and packages Nest, pino and the OTel SDK load only when configured to.
  external: [
    'onnxruntime-node',
    '@tensorflow/tfjs-node',
    '@tensorflow/tfjs-node-gpu',
    'mnist',
    '@nestjs/websockets',
    '@nestjs/websockets/*',
    '@nestjs/platform-socket.io',
    'class-transformer',
    'class-validator',
    '@fastify/*',
    'kafkajs',
    'mqtt',
    'amqplib',
    'amqp-connection-manager',
    'ioredis',
    'nats',
    'pino-pretty',
    '*.node',
  ],
  // CommonJS packages inside an ES module still look for require, __filename and __dirname (tfjs's
  // wasm backend finds its .wasm files beside itself).
  banner: {
    js: [
      "import { createRequire as __aimassRequire } from 'node:module';",
      "import { dirname as __aimassDirname } from 'node:path';",
      "import { fileURLToPath as __aimassPath } from 'node:url';",
      'const require = __aimassRequire(import.meta.url);',
      'const __filename = __aimassPath(import.meta.url);',
      'const __dirname = __aimassDirname(__filename);',
    ].join(' '),
  },
});
