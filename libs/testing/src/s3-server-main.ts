// Entry point of the s3rver child that `startS3Server` spawns. It runs in its own process so a
// test can kill the endpoint mid-upload and start it again on the same port and directory.
//   node s3-server-main.js --port P --dir D [--address 127.0.0.1]
import S3rver from 's3rver';
import fs from 'node:fs';
import { parseArgs } from 'node:util';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string' },
      dir: { type: 'string' },
      address: { type: 'string', default: '127.0.0.1' },
    },
  });
  const port = Number(values.port);
  if (!Number.isInteger(port) || port <= 0 || !values.dir) {
    process.stderr.write('usage: s3-server-main --port PORT --dir DIR [--address 127.0.0.1]\n');
    process.exit(2);
  }
  fs.mkdirSync(values.dir, { recursive: true });
  const server = new S3rver({ address: values.address, port, directory: values.dir, silent: true });
  const address = await server.run();
  process.stdout.write(
    `s3rver listening on http://${address.address}:${address.port}, data in ${values.dir}\n`,
  );

  const shutdown = () => {
    // Open keep-alive and upload connections would hold close() forever.
    server.httpServer?.closeAllConnections();
    server.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);
}

main().catch((err: unknown) => {
  process.stderr.write(`s3rver failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
