import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { freePort, listenerPortRange, portIsFree } from './ports.js';

describe('freePort / portIsFree', () => {
  it('returns a port that can be bound on 127.0.0.1, and reports it taken while bound', async () => {
    const port = await freePort();
    expect(port).toBeGreaterThan(0);
    expect(await portIsFree(port)).toBe(true);

    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    try {
      expect(await portIsFree(port)).toBe(false);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
    expect(await portIsFree(port)).toBe(true);
  });

  it('sees a port bound on all interfaces as taken on loopback', async () => {
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, '0.0.0.0', resolve));
    const { port } = server.address() as net.AddressInfo;
    try {
      expect(await portIsFree(port)).toBe(false);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('picks ports below the kernel ephemeral range, which outgoing connections take, never one twice', async () => {
    const [low, high] = listenerPortRange();
    const ports = await Promise.all(Array.from({ length: 50 }, () => freePort()));
    for (const port of ports) {
      expect(port).toBeGreaterThanOrEqual(low);
      expect(port).toBeLessThanOrEqual(high);
    }
    expect(new Set(ports).size).toBe(ports.length);
  });

  it.each([
    ['the Linux default', '32768\t60999\n', [10000, 32767]],
    ['a range starting low', '1024 65000', [65001, 65535]],
    ['an unreadable file', undefined, [10000, 32767]],
  ] as const)('takes the listener range from the ephemeral range: %s', (_, contents, expected) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'aimass-ports-'));
    const file = path.join(dir, 'ip_local_port_range');
    if (contents !== undefined) fs.writeFileSync(file, contents);
    try {
      expect(listenerPortRange(file)).toEqual(expected);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
