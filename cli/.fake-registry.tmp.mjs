import { Server, ServerCredentials } from '@grpc/grpc-js';
import { clientConstructorOf } from '@aimass/grpc';
const server = new Server();
server.addService(clientConstructorOf('registry').service, {
  PushVersion(call, cb) {
    let n = 0;
    call.on('data', (m) => { if (m.chunk) { n += m.chunk.length; call.pause(); setTimeout(() => call.resume(), 5); } });
    call.on('end', () => cb(null, { model: 'x', version: 12, size_bytes: n }));
  },
});
server.bindAsync('127.0.0.1:47123', ServerCredentials.createInsecure(), () => console.error('listening'));
setTimeout(() => server.forceShutdown(), 20000);
