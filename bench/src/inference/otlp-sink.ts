import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A local OTLP/HTTP receiver: accepts every export (JSON or protobuf) and counts bytes and posts. */
export async function startOtlpSink(): Promise<{ url: string; exports(): number; close(): Promise<void> }> {
  let posts = 0;
  const server = createServer((req, res) => {
    req.on('data', () => undefined);
    req.on('end', () => {
      if (req.url === '/v1/traces') posts++;
      res
        .writeHead(200, { 'content-type': req.headers['content-type'] ?? 'application/json' })
        .end(req.headers['content-type']?.includes('json') ? '{}' : '');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    exports: () => posts,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
