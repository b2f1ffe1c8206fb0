// A plain KServe / Triton OIP v2 client: grpc-js and the official proto, no aimass code.
// Usage (from the repo root, with a stack up and a model pushed):
//   AIMASS_AUTH_TOKEN=$(pnpm -s aimass auth token --subject me --scope infer:MODEL) \
//     node docs/examples/oip-infer.mjs 127.0.0.1:8001 MODEL '[[0.1, 0.2, 0.3]]'
// With authentication on (the stack's default) the token goes in the `authorization` metadata as
// `Bearer <token>`, the KServe convention; without AIMASS_AUTH_TOKEN none is sent. With TLS on
// (`scripts/stack up --tls`), AIMASS_TLS_CA names the CA file to trust (stack.env has it).
// Sends one FP32 input named "input" (the name libs/onnx gives exported models) and prints the outputs.
import { credentials, loadPackageDefinition, Metadata } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { readFileSync } from 'node:fs';

const [address = '127.0.0.1:8001', model = 'demo-dense', rowsJson = '[[0,0,0,0,0,0,0,0]]'] =
  process.argv.slice(2);
const rows = JSON.parse(rowsJson);
const proto = new URL('../../protos/inference/grpc_service.proto', import.meta.url).pathname;
const { inference } = loadPackageDefinition(loadSync(proto, { longs: String, defaults: true }));
const channel = process.env.AIMASS_TLS_CA
  ? credentials.createSsl(readFileSync(process.env.AIMASS_TLS_CA))
  : credentials.createInsecure();
const client = new inference.GRPCInferenceService(address, channel);

const input = Float32Array.from(rows.flat());
const request = {
  modelName: model,
  modelVersion: '', // empty: the production alias, else the latest version
  inputs: [{ name: 'input', datatype: 'FP32', shape: [rows.length, rows[0].length] }],
  rawInputContents: [Buffer.from(input.buffer)],
};

const metadata = new Metadata();
if (process.env.AIMASS_AUTH_TOKEN) metadata.set('authorization', `Bearer ${process.env.AIMASS_AUTH_TOKEN}`);

client.ModelInfer(request, metadata, (err, res) => {
  client.close();
  if (err) {
    console.error(`error: ${err.code} ${err.details}`);
    process.exit(1);
  }
  const outputs = res.outputs.map((o, i) => {
    const raw = res.rawOutputContents[i];
    const data = Array.from(
      new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength)),
    );
    return { name: o.name, datatype: o.datatype, shape: o.shape.map(Number), data };
  });
  console.log(JSON.stringify({ model: res.modelName, version: res.modelVersion, outputs }));
});
