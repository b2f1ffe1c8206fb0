import { runService } from '@aimass/runtime';

await runService('inference', async () => (await import('./app.module.js')).AppModule, {
  bindGrpc: async (server, definition, app) => {
    const { ModelInferGrpcHandler } = await import('./controllers/model-infer.grpc-handler.js');
    app.get(ModelInferGrpcHandler).bind(server, definition);
  },
});
