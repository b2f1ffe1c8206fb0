import fs from 'node:fs';
import net from 'node:net';

const LOOPBACK = '127.0.0.1';

/** Linux's range for the local ports of outgoing connections (and of `listen(0)`). */
const EPHEMERAL_RANGE_FILE = '/proc/sys/net/ipv4/ip_local_port_range';
/** Ports already handed out by this process: never handed out twice. */
const handedOut = new Set<number>();

/**
 * The ports to pick listeners from: those below the kernel's ephemeral range (32768-60999 by
 * default), down to 10000. A port from inside that range (what `listen(0)` gives) can be taken
 * between the check and the child's bind by any outgoing connection on the machine, which uses an
 * ephemeral local port: a busy test run (thousands of connections) hit that as EADDRINUSE. Nothing
 * takes a port below the range unless it binds it on purpose.
 */
export function listenerPortRange(rangeFile = EPHEMERAL_RANGE_FILE): readonly [number, number] {
  let low = 32768;
  let high = 60999;
  try {
    const [a, b] = fs.readFileSync(rangeFile, 'utf8').trim().split(/\s+/).map(Number);
    if (Number.isInteger(a) && Number.isInteger(b)) [low, high] = [a!, b!];
  } catch {
    // not Linux: the common default
  }
  if (low - 1 >= 10000 + 1000) return [10000, low - 1];
  return [high + 1, 65535];
}

/**
 * A port free right now, outside the kernel's ephemeral range (see listenerPortRange), chosen at
 * random and never the same twice in one process. Another process may still bind it before use,
 * but only by picking the same one; when the range is exhausted, the kernel picks (listen(0)).
 */
export async function freePort(host = LOOPBACK): Promise<number> {
  const [low, high] = listenerPortRange();
  for (let tries = 0; tries < 100; tries++) {
    const port = low + Math.floor(Math.random() * (high - low + 1));
    if (handedOut.has(port)) continue;
    if (await portIsFree(port, host)) {
      handedOut.add(port);
      return port;
    }
  }
  return kernelPort(host);
}

function kernelPort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', reject);
    server.listen({ port: 0, host, exclusive: true }, () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** Whether `port` can be bound on `host` now (false when anything listens there, on any address). */
export function portIsFree(port: number, host = LOOPBACK): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EADDRINUSE' || err.code === 'EACCES') resolve(false);
      else reject(err);
    });
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolve(true)));
  });
}
