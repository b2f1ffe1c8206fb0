import { Server, ServerCredentials, type UntypedServiceImplementation } from '@grpc/grpc-js';
import { clientConstructorOf, type MeshService } from '@aimass/grpc';

export interface TestServer {
  /** host:port on loopback, for --registry / --inference or createMeshClient. */
  readonly address: string;
  stop(): Promise<void>;
}

/**
 * A real grpc-js server for one mesh service, built from the same .proto the services load, with
 * only the handlers a test provides (others answer UNIMPLEMENTED). The test owns it until `stop`.
 */
export async function startTestServer(
  service: MeshService,
  handlers: UntypedServiceImplementation,
): Promise<TestServer> {
  const server = new Server();
  server.addService(clientConstructorOf(service).service, handlers);
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (err, bound) =>
      err ? reject(err) : resolve(bound),
    );
  });
  return {
    address: `127.0.0.1:${port}`,
    stop: () =>
      new Promise<void>((resolve) => {
        server.tryShutdown(() => resolve());
        // Calls a test left hanging must not hold the suite open.
        setTimeout(() => server.forceShutdown(), 2000).unref();
      }),
  };
}
