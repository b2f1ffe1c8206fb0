import { subscribe } from 'node:diagnostics_channel';
import type { Http2Session, ServerHttp2Stream } from 'node:http2';

/**
 * The HTTP/2 receive window of mesh gRPC traffic, both directions. HTTP/2 starts every stream and
 * connection at 64 KiB; artifact streams carry ~4 MiB per message, so at 64 KiB the sender stops
 * every 64 KiB until the receiver's WINDOW_UPDATE comes back.
 */
export const FLOW_CONTROL_WINDOW_BYTES = 16 * 1024 * 1024;

const raised = new WeakSet<Http2Session>();
let installed = false;

/**
 * Raises the receive window of every HTTP/2 server session in this process (the gRPC server's;
 * Nest's HTTP side is HTTP/1.1). grpc-js 1.14 clients honour `grpc-node.flow_control_window`, but
 * its server does not (grpc/grpc-node#3058), so this goes through Node itself: each new server
 * stream is published on the `http2.server.stream.created` diagnostics channel, and on a session's
 * first stream its connection window is raised and a SETTINGS frame announces the larger initial
 * stream window, which RFC 9113 §6.9.2 applies to streams already open as well. Idempotent.
 */
export function raiseServerReceiveWindow(bytes = FLOW_CONTROL_WINDOW_BYTES): void {
  if (installed) return;
  installed = true;
  subscribe('http2.server.stream.created', (message) => {
    const session = (message as { stream: ServerHttp2Stream }).stream.session;
    if (!session || session.destroyed || raised.has(session)) return;
    raised.add(session);
    session.setLocalWindowSize(bytes);
    session.settings({ initialWindowSize: bytes });
  });
}
