// Device probe: raw tfjs-webgpu AE training throughput, variants, and profiles.
import { create, globals } from 'webgpu';
import * as tf from '@tensorflow/tfjs';
import { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import { FusedAdamOptimizer } from '../../libs/ml/src/families/fused-adam.ts';
Object.assign(globalThis, globals);
const gles = process.env.GLES === '1';
const gpu = create([...(gles ? ['backend=opengles'] : []), ...(process.env.PROFILE === '1' ? ['enable-dawn-features=allow_unsafe_apis'] : [])]);
Object.defineProperty(globalThis.navigator, 'gpu', { value: gpu, configurable: true });
const adapter = await gpu.requestAdapter(gles ? { featureLevel: 'compatibility' } : { powerPreference: 'high-performance' });
const info = adapter.info;
console.log('ADAPTER', JSON.stringify({ vendor: info.vendor, device: info.device, architecture: info.architecture, description: info.description, fallback: info.isFallbackAdapter, features: [...adapter.features] }));
if (tf.findBackendFactory('webgpu')) tf.removeBackend('webgpu');
tf.registerBackend('webgpu', async () => {
  const l = adapter.limits;
  const feats = adapter.features.has('timestamp-query') ? ['timestamp-query'] : [];
  const device = await adapter.requestDevice({ requiredFeatures: feats, requiredLimits: { maxComputeWorkgroupStorageSize: l.maxComputeWorkgroupStorageSize, maxComputeWorkgroupsPerDimension: l.maxComputeWorkgroupsPerDimension, maxStorageBufferBindingSize: l.maxStorageBufferBindingSize, maxBufferSize: l.maxBufferSize, maxComputeWorkgroupSizeX: l.maxComputeWorkgroupSizeX, maxComputeInvocationsPerWorkgroup: l.maxComputeInvocationsPerWorkgroup, maxStorageBuffersPerShaderStage: l.maxStorageBuffersPerShaderStage } });
  return new WebGPUBackend(device, info);
}, 3);
for (const kv of (process.env.FLAGS ?? '').split(',').filter(Boolean)) { const [k, v] = kv.split('='); tf.env().set(k, isNaN(Number(v)) ? v === 'true' : Number(v)); }
await tf.setBackend('webgpu');
const D = 784, ROWS = Number(process.env.ROWS ?? 60000);
const data = new Float32Array(ROWS * D); for (let i = 0; i < data.length; i++) data[i] = Math.random();
const train = tf.tensor2d(data, [ROWS, D]);
const dims = [[784, 256], [256, 32], [32, 256], [256, 784]];
const vars = dims.map(([i, o]) => [tf.variable(tf.randomUniform([i, o], -Math.sqrt(6 / (i + o)), Math.sqrt(6 / (i + o)))), tf.variable(tf.zeros([o]))]).flat();
const opt = process.env.FUSED_ADAM === '1' ? new FusedAdamOptimizer(1e-3) : tf.train.adam(1e-3);
const fused = process.env.FUSED === '1';
function forward(x) {
  let h = x;
  for (let l = 0; l < 4; l++) {
    if (fused && l < 3) h = tf.fused.matMul({ a: h, b: vars[2 * l], bias: vars[2 * l + 1], activation: l === 1 ? 'linear' : 'relu' });
    else { h = tf.add(tf.matMul(h, vars[2 * l]), vars[2 * l + 1]); h = l === 3 ? tf.sigmoid(h) : l === 1 ? h : tf.relu(h); }
  }
  return h;
}
function step(x) { return opt.minimize(() => tf.mean(tf.square(tf.sub(x, forward(x)))), true); }
async function epochRun(B, steps) {
  const order = tf.tensor1d(Int32Array.from({ length: ROWS }, (_, i) => i).sort(() => Math.random() - 0.5), 'int32');
  const losses = [];
  const t = performance.now();
  for (let s = 0; s < steps; s++) {
    const from = (s * B) % (ROWS - B);
    const x = tf.tidy(() => tf.gather(train, order.slice(from, B)));
    losses.push(step(x)); x.dispose();
    if (process.env.YIELD === '1') await new Promise((r) => setImmediate(r));
  }
  const sum = await tf.tidy(() => tf.addN(losses)).data();
  const dt = performance.now() - t; tf.dispose(losses); order.dispose();
  return { sps: (B * steps) / dt * 1000, msPerStep: dt / steps, loss: sum[0] / steps };
}
if (process.env.PARITY === '1') {
  const x = tf.tidy(() => tf.slice(train, [0, 0], [256, D]));
  const before = await Promise.all(vars.map((v) => v.data()));
  const ref = tf.train.adam(1e-3);
  const NSTEP = Number(process.env.NSTEP ?? 5); for (let i = 0; i < NSTEP; i++) tf.dispose(step(x));
  const fusedVals = await Promise.all(vars.map((v) => v.data()));
  vars.forEach((v, i) => v.assign(tf.tensor(before[i], v.shape)));
  for (let i = 0; i < NSTEP; i++) tf.dispose(ref.minimize(() => tf.mean(tf.square(tf.sub(x, forward(x)))), true));
  let maxd = 0, maxrel = 0; const after = await Promise.all(vars.map((v) => v.data())); vars.forEach((v, i) => { const a = after[i]; for (let j = 0; j < a.length; j++) { const d = Math.abs(a[j] - fusedVals[i][j]); if (d > maxd) { maxd = d; globalThis.where = [i, j, a[j], fusedVals[i][j], before[i][j]]; } } });
  const w0 = await opt.getWeights(); const w1 = await ref.getWeights();
  console.log('PARITY max_abs_diff', maxd, globalThis.where, 'weights', w0.length, w1.length, w0.map((w) => w.name).slice(0, 3).join(','), '|', w1.map((w) => w.name).slice(0, 3).join(','), 'iter', (await w0[0].tensor.data())[0], (await w1[0].tensor.data())[0]);
}
if (process.env.MICRO === '1') {
  for (const n of [1024, 262144]) {
    let a = tf.ones([n]); const b = tf.ones([n]);
    for (let i = 0; i < 50; i++) { const c = tf.add(a, b); a.dispose(); a = c; }
    await a.data();
    const t = performance.now();
    for (let i = 0; i < 2000; i++) { const c = tf.add(a, b); a.dispose(); a = c; }
    await a.data();
    console.log(`MICRO add n=${n} us_per_op=${((performance.now() - t) / 2000 * 1000).toFixed(1)}`);
  }
}
const sizes = (process.env.SIZES ?? '256,1024,4096').split(',').filter(Boolean).map(Number);
const secs = Number(process.env.SECS ?? 4);
for (const B of sizes) {
  await epochRun(B, 5);
  const probe = await epochRun(B, 10);
  const steps = Math.max(10, Math.round(secs * 1000 / probe.msPerStep));
  const r = await epochRun(B, steps);
  console.log(`RUN label=${process.env.LABEL ?? 'base'} batch=${B} steps=${steps} sps=${r.sps.toFixed(0)} ms_per_step=${r.msPerStep.toFixed(2)} loss=${r.loss.toFixed(4)} tensors=${tf.memory().numTensors}`);
}
if (process.env.PROFILE === '1') {
  const x = tf.tidy(() => tf.slice(train, [0, 0], [1024, D]));
  const p = await tf.profile(() => step(x));
  const counts = {};
  for (const k of p.kernels) { const c = (counts[k.name] ??= { n: 0, ms: 0 }); c.n++; c.ms += typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0; }
  console.log('KERNELS', p.kernels.length, JSON.stringify(counts));
}
if (process.env.FIT === '1') {
  const model = tf.sequential({ layers: [tf.layers.dense({ inputShape: [784], units: 256, activation: 'relu' }), tf.layers.dense({ units: 32 }), tf.layers.dense({ units: 256, activation: 'relu' }), tf.layers.dense({ units: 784, activation: 'sigmoid' })] });
  model.compile({ optimizer: tf.train.adam(1e-3), loss: 'meanSquaredError' });
  const n = Math.min(ROWS, 1024 * 30); const xs = tf.slice(train, [0, 0], [n, D]);
  await model.fit(xs, xs, { batchSize: 1024, epochs: 1, verbose: 0 });
  const t = performance.now(); await model.fit(xs, xs, { batchSize: 1024, epochs: 1, verbose: 0 }); const dt = performance.now() - t;
  console.log(`RUN label=bare_fit batch=1024 sps=${(n / dt * 1000).toFixed(0)}`);
}
process.exit(0);
