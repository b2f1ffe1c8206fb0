import { randomBytes } from 'node:crypto';
import * as Minio from 'minio';
import type { Readable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { processAlive } from './process-table.js';
import { startS3Server, type S3Server } from './s3-server.js';

function clientFor(server: S3Server): Minio.Client {
  return new Minio.Client({
    endPoint: '127.0.0.1',
    port: server.port,
    useSSL: false,
    accessKey: server.accessKey,
    secretKey: server.secretKey,
    region: 'us-east-1',
    pathStyle: true,
  });
}

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

describe('startS3Server', () => {
  let server: S3Server | undefined;
  afterAll(async () => server?.stop());

  it('serves S3 to minio-js, refuses requests while stopped, and keeps objects across a restart on the same port', async () => {
    server = await startS3Server();
    expect(server.endpoint).toBe(`http://127.0.0.1:${server.port}`);
    const s3 = clientFor(server);
    const body = randomBytes(3 * 1024 * 1024 + 17);
    await s3.makeBucket('spec-bucket', 'us-east-1');
    await s3.putObject('spec-bucket', 'dir/blob.bin', body, body.length);
    expect((await s3.statObject('spec-bucket', 'dir/blob.bin')).size).toBe(body.length);

    const pid = server.child.pid;
    await server.stop();
    expect(processAlive(pid)).toBe(false);
    await expect(s3.statObject('spec-bucket', 'dir/blob.bin')).rejects.toThrow(/ECONNREFUSED/);

    await server.start();
    expect(server.child.pid).not.toBe(pid);
    const back = await readAll(await clientFor(server).getObject('spec-bucket', 'dir/blob.bin'));
    expect(back.equals(body)).toBe(true);
  });

  // s3rver checks the access key only (it does not verify V4 signatures), so auth tests that need a
  // wrong secret to fail cannot use it.
  it('rejects an unknown access key', async () => {
    const other = await startS3Server();
    try {
      const wrong = new Minio.Client({
        endPoint: '127.0.0.1',
        port: other.port,
        useSSL: false,
        accessKey: 'NOBODY',
        secretKey: 'S3RVER',
        region: 'us-east-1',
      });
      await expect(wrong.makeBucket('nope', 'us-east-1')).rejects.toThrow(
        /Access Key Id you provided does not exist/,
      );
    } finally {
      await other.stop();
    }
  });
});
