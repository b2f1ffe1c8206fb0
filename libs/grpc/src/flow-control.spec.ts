import { once } from 'node:events';
import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { FLOW_CONTROL_WINDOW_BYTES, raiseServerReceiveWindow } from './flow-control.js';

describe('raiseServerReceiveWindow', () => {
  it('announces the larger stream window and opens the connection window on the first stream of a session', async () => {
    raiseServerReceiveWindow();
    raiseServerReceiveWindow(1024); // idempotent: the first window stays
    const server = http2.createServer();
    server.on('stream', (stream) => {
      stream.respond({ ':status': 200 });
      stream.end('ok');
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const client = http2.connect(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    try {
      await once(client, 'remoteSettings');
      expect(client.remoteSettings.initialWindowSize).toBe(65_535);
      const settings = new Promise<http2.Settings>((resolve) => client.on('remoteSettings', resolve));
      const req = client.request({ ':path': '/' });
      req.resume();
      await once(req, 'end');
      expect((await settings).initialWindowSize).toBe(FLOW_CONTROL_WINDOW_BYTES);
      // What this side may still send on the connection: the raised window, less nothing sent yet.
      expect(client.state.remoteWindowSize).toBe(FLOW_CONTROL_WINDOW_BYTES);
    } finally {
      client.close();
      server.close();
    }
  });
});
