// Baseline servers for the inference benchmark, each run as its own process (as aimass is):
//   node bench/dist/inference/servers.js echo          grpc-js, ModelInfer and ModelStreamInfer answer a canned response of the same size
//   node bench/dist/inference/servers.js diy MODEL     grpc-js + onnxruntime-node, one session.run per request, no batching
// Prints "listening <port>" on stdout once it serves on 127.0.0.1.
import {
  Server,
  ServerCredentials,
  type sendUnaryData,
  type ServerDuplexStream,
  type ServerUnaryCall,
} from '@grpc/grpc-js';
import { readFileSync } from 'node:fs';
import ort from 'onnxruntime-node';
import { MAX_MESSAGE, oipService } from './oip-proto.js';

interface InferRequest {
  model_name: string;
  id: string;
  inputs: { name: string; datatype: string; shape: string[] }[];
  raw_input_contents: Buffer[];
}

const [mode, modelPath] = process.argv.slice(2);
const { definition } = oipService();
const server = new Server({
  'grpc.max_receive_message_length': MAX_MESSAGE,
  'grpc.max_send_message_length': MAX_MESSAGE,
});

let infer: (req: InferRequest) => Promise<unknown> | unknown;
if (mode === 'echo') {
  // The same payload the model would answer: the input's shape and bytes as the output.
  infer = (req) => ({
    model_name: req.model_name,
    model_version: '1',
    id: req.id,
    outputs: [{ name: 'output', datatype: 'FP32', shape: req.inputs[0]!.shape }],
    raw_output_contents: req.raw_input_contents,
  });
} else if (mode === 'diy' && modelPath) {
  const session = await ort.InferenceSession.create(readFileSync(modelPath), {
    intraOpNumThreads: 1,
    interOpNumThreads: 1,
    executionMode: 'sequential',
  });
  infer = async (req) => {
    const input = req.inputs[0]!;
    const raw = Buffer.from(req.raw_input_contents[0]!);
    const data = new Float32Array(raw.buffer, raw.byteOffset, raw.byteLength / 4);
    const out = await session.run({ [input.name]: new ort.Tensor('float32', data, input.shape.map(Number)) });
    const y = out[session.outputNames[0]!]!;
    const bytes = y.data as Float32Array;
    return {
      model_name: req.model_name,
      model_version: '1',
      id: req.id,
      outputs: [{ name: session.outputNames[0]!, datatype: 'FP32', shape: y.dims.map(String) }],
      raw_output_contents: [Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)],
    };
  };
} else {
  process.stderr.write('usage: servers.js echo | diy MODEL.onnx\n');
  process.exit(2);
}

server.addService(definition, {
  ModelInfer: (call: ServerUnaryCall<InferRequest, unknown>, cb: sendUnaryData<unknown>) => {
    Promise.resolve(infer(call.request)).then(
      (r) => cb(null, r),
      (err: Error) => cb(err),
    );
  },
  ModelStreamInfer: (call: ServerDuplexStream<InferRequest, unknown>) => {
    call.on(
      'data',
      (req: InferRequest) =>
        void Promise.resolve(infer(req)).then(
          (r) => call.write({ error_message: '', infer_response: r }),
          (err: Error) => call.write({ error_message: err.message }),
        ),
    );
    call.on('end', () => call.end());
  },
});
const port = await new Promise<number>((resolve, reject) =>
  server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (err, p) =>
    err ? reject(err) : resolve(p),
  ),
);
process.stdout.write(`listening ${port}\n`);
process.on('SIGTERM', () => server.tryShutdown(() => process.exit(0)));
