import { runService } from '@aimass/runtime';
import { INFERENCE_ACCESS } from './auth/access-rules.js';

await runService('inference', async () => (await import('./app.module.js')).AppModule, {
  accessRules: INFERENCE_ACCESS,
  bindGrpc: async (server, definition, app) => {
    const { ModelInferGrpcHandler } = await import('./controllers/model-infer.grpc-handler.js');
    app.get(ModelInferGrpcHandler).bind(server, definition);
  },
});
