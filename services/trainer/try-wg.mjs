import { create, globals } from 'webgpu';
Object.assign(globalThis, globals);
const opts = process.env.GLES ? ['backend=opengles'] : [];
const gpu = create(opts);
globalThis.navigator ??= {};
Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true });
const adapter = await gpu.requestAdapter(process.env.GLES ? { featureLevel: 'compatibility' } : {});
console.log('adapter', adapter && adapter.info, adapter?.isFallbackAdapter);
const tf = await import('@tensorflow/tfjs');
const { WebGPUBackend } = await import('@tensorflow/tfjs-backend-webgpu');
tf.removeBackend('webgpu');
tf.registerBackend('webgpu', async () => {
  const l = adapter.limits;
  const device = await adapter.requestDevice({ requiredLimits: { maxComputeWorkgroupStorageSize: l.maxComputeWorkgroupStorageSize, maxComputeWorkgroupsPerDimension: l.maxComputeWorkgroupsPerDimension, maxStorageBufferBindingSize: l.maxStorageBufferBindingSize, maxBufferSize: l.maxBufferSize, maxComputeWorkgroupSizeX: l.maxComputeWorkgroupSizeX, maxComputeInvocationsPerWorkgroup: l.maxComputeInvocationsPerWorkgroup } });
  return new WebGPUBackend(device, adapter.info);
}, 3);
console.log(await tf.setBackend('webgpu'), tf.getBackend());
const B = Number(process.env.B ?? 256), D = 784;
const x = tf.randomUniform([B, D]);
const vars = [[784,256],[256,32],[32,256],[256,784]].map(([i,o]) => [tf.variable(tf.randomNormal([i,o],0,0.05)), tf.variable(tf.zeros([o]))]).flat();
const opt = tf.train.adam(1e-3);
function step() {
  return opt.minimize(() => {
    let h = x;
    for (let l = 0; l < 4; l++) { h = tf.add(tf.matMul(h, vars[2*l]), vars[2*l+1]); h = l === 3 ? tf.sigmoid(h) : tf.relu(h); }
    return tf.mean(tf.square(tf.sub(x, h)));
  }, true);
}
for (let i = 0; i < 3; i++) (await step().data());
const N = Number(process.env.N ?? 20);
let t = performance.now(); const ls = [];
for (let i = 0; i < N; i++) ls.push(step());
const v = await ls[ls.length-1].data();
let dt = performance.now() - t;
console.log(`B=${B} ${N} steps ${dt.toFixed(0)}ms ${(dt/N).toFixed(2)} ms/step ${(B*N/dt*1000).toFixed(0)} sps loss=${v[0]}`, tf.memory().numTensors);
