import { STREAM_CHUNK_BYTES, type registryv1 } from '@aimass/contracts';
import { createMeshClient } from '@aimass/grpc/client';
import { exportDenseNetwork, randomDenseNetwork } from '@aimass/onnx';
import { EnvelopeCipher, MasterKeyWrapper, ObjectStore } from '@aimass/storage';
import { makeScratchDir, startMesh } from '@aimass/testing';
import { Client as MinioClient } from 'minio';
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import fs from 'node:fs';
import os from 'node:os';
import ort from 'onnxruntime-node';
import { median, positiveInt, printTable, type Benchmark } from './benchmark.js';

const MIB = 1024 * 1024;
const PART = 16 * MIB;
// As the CLI sends.
const CHUNK = STREAM_CHUNK_BYTES;
const HEADINGS = ['path', 'seconds', 'MiB/s', 'cpu s bench', 'cpu s registry', 'cpu s s3'];

/**
 * Push then pull one ~256 MB ONNX artifact through the registry (gRPC client stream in, server
 * stream out, SHA-256 and signature on the way), against the same bytes put and got raw with the
 * MinIO client (multipart, 16 MiB parts, two in flight, as the registry's own upload does) on the
 * same S3 endpoint. `roundtrip_vs_minio` = registry throughput / raw throughput over a round trip,
 * the median over --rounds=N (default 5) rounds of each round's own ratio.
 *
 * Encryption at rest: the same artifact stored plain and sealed (AIMASS_ENCRYPTION, 1 MiB frames)
 * through ObjectStore, then loaded as inference loads a version (read whole with getBuffer, SHA-256
 * checked, an onnxruntime session opened), --load-pairs=N times (default 3) per round, the order
 * alternating. `encrypt_overhead` = (sealed - plain) / plain load seconds, the median of each
 * pair's own value; `encrypt_read_overhead` is the same for the read alone (the decryption's whole
 * cost, with nothing to hide it).
 *
 * Each raw put writes a new object, as each push does (versions are immutable, every one has a key
 * of its own). Overwriting one key round after round is a cheaper operation for the endpoint: with
 * s3rver it took about 3.0 CPU-s per 256 MiB against about 3.8 for a new key.
 */
const bench: Benchmark = {
  description: 'registry push+pull of a 256 MB artifact vs raw MinIO client put+get',
  options: {
    mb: { type: 'string' },
    rounds: { type: 'string' },
    'load-pairs': { type: 'string' },
    'push-only': { type: 'boolean' },
    'registry-node-options': { type: 'string' },
  },
  async run(args) {
    const mb = positiveInt(args, 'mb', 256);
    // --registry-node-options='--cpu-prof --cpu-prof-dir=DIR' (or '--import FILE', e.g. a script that
    // observes 'gc' performance entries; V8 flags such as --trace-gc are not allowed there) is handed
    // to the registry process as NODE_OPTIONS; --push-only stops after the push, so a second profile
    // isolates the pull by difference.
    const nodeOptions = args['registry-node-options'] as string | undefined;
    const pushOnly = args['push-only'] === true;
    const rounds = positiveInt(args, 'rounds', 5);
    const loadPairs = positiveInt(args, 'load-pairs', 3);
    const side = Math.round(Math.sqrt((mb * MIB) / 4));
    const artifact = Buffer.from(
      exportDenseNetwork(
        randomDenseNetwork({ inputDim: side, hidden: [], outputDim: side, seed: 1, activation: 'relu' }),
      ),
    );
    const digest = createHash('sha256').update(artifact).digest('hex');

    const mesh = await startMesh({
      // Removed when the bench exits: each run stores about 1 GiB.
      stateDir: makeScratchDir('bench-registry'),
      services: ['registry'],
      extraEnv: { AIMASS_LOG_LEVEL: 'warn', ...(nodeOptions ? { NODE_OPTIONS: nodeOptions } : {}) },
    });
    const { s3 } = mesh;
    const registry = mesh.services.get('registry')!;
    const address = mesh.env.AIMASS_REGISTRY_GRPC!;
    const client = createMeshClient<registryv1.RegistryServiceClient>('registry', address);
    const url = new URL(s3.endpoint);
    const minio = new MinioClient({
      endPoint: url.hostname,
      port: Number(url.port),
      useSSL: false,
      accessKey: s3.accessKey,
      secretKey: s3.secretKey,
      pathStyle: true,
    });
    const storeConfig = {
      endpoint: s3.endpoint,
      accessKey: s3.accessKey,
      secretKey: s3.secretKey,
      region: 'us-east-1',
      bucket: 'bench-stores',
    };
    const plainStore = new ObjectStore(storeConfig);
    const sealedStore = new ObjectStore(
      storeConfig,
      new EnvelopeCipher(new MasterKeyWrapper(randomBytes(32)), true),
    );
    try {
      const bucket = 'bench-raw';
      if (!(await minio.bucketExists(bucket))) await minio.makeBucket(bucket, 'us-east-1');
      // Each round runs all four transfers in turn; the table shows medians over the rounds, so a
      // burst of load from elsewhere on a shared machine skews one round, not the result.
      const samples = new Map<string, number[][]>();
      // CPU seconds each process spent in the phase (Linux /proc; blank elsewhere): shows which one limits it.
      const pids = { registry: registry.child.pid, s3: s3.child.pid };
      const measure = async (what: string, op: () => Promise<void>) => {
        const cpuBefore = {
          bench: process.cpuUsage(),
          registry: cpuSeconds(pids.registry),
          s3: cpuSeconds(pids.s3),
        };
        const start = performance.now();
        await op();
        const seconds = (performance.now() - start) / 1000;
        const benchCpu = process.cpuUsage(cpuBefore.bench);
        const used = (now: number | undefined, before: number | undefined) =>
          now === undefined || before === undefined ? NaN : now - before;
        const row = [
          seconds,
          (benchCpu.user + benchCpu.system) / 1e6,
          used(cpuSeconds(pids.registry), cpuBefore.registry),
          used(cpuSeconds(pids.s3), cpuBefore.s3),
        ];
        samples.set(what, [...(samples.get(what) ?? []), row]);
      };
      // Warm-up both paths once with a small object so connection set-up is not measured.
      await rawPut(minio, bucket, 'warm', artifact.subarray(0, MIB));
      const loads = {
        plain: { store: plainStore, key: 'plain' },
        sealed: { store: sealedStore, key: 'sealed' },
      };
      if (!pushOnly) {
        await plainStore.ensureBucket();
        for (const { store, key } of Object.values(loads)) {
          const upload = store.createUpload(key, PART);
          for (let at = 0; at < artifact.length; at += CHUNK)
            await upload.write(artifact.subarray(at, at + CHUNK));
          await upload.complete();
          await store.getBuffer(key);
        }
      }
      for (let round = 0; round < rounds; round++) {
        const rawKey = `raw-${round}`;
        await measure('minio put (multipart)', () => rawPut(minio, bucket, rawKey, artifact));
        await measure('minio get', async () => {
          const got = await rawGet(minio, bucket, rawKey);
          if (got !== digest) throw new Error('raw get returned other bytes');
        });
        await measure('registry push', async () => {
          const v = await push(client, artifact, digest);
          if (v.sha256 !== digest) throw new Error('registry stored other bytes');
        });
        if (pushOnly) continue;
        await measure('registry pull', async () => {
          const got = await pull(client);
          if (got !== digest) throw new Error('registry download returned other bytes');
        });
        for (let pair = 0; pair < loadPairs; pair++) {
          const order = Object.entries(loads);
          if ((round * loadPairs + pair) % 2 === 1) order.reverse();
          for (const [what, { store, key }] of order) {
            // As inference loads a version: the artifact into memory, its digest checked, an
            // onnxruntime session opened on the bytes. The read alone is timed inside it too.
            let readSeconds = 0;
            await measure(`load ${what} (read, digest, onnxruntime)`, async () => {
              const start = performance.now();
              const bytes = await store.getBuffer(key);
              readSeconds = (performance.now() - start) / 1000;
              if (createHash('sha256').update(bytes).digest('hex') !== digest)
                throw new Error(`the ${what} load returned other bytes`);
              const session = await ort.InferenceSession.create(bytes);
              await session.release();
            });
            const reads = `read ${what} (ObjectStore.getBuffer)`;
            samples.set(reads, [...(samples.get(reads) ?? []), [readSeconds, NaN, NaN, NaN]]);
          }
        }
      }
      printTable(
        HEADINGS,
        [...samples].map(([what, rs]) => {
          const m = (i: number) => median(rs.map((r) => r[i]!));
          return [
            what,
            m(0),
            artifact.length / MIB / m(0),
            Number.isNaN(m(1)) ? '' : m(1),
            Number.isNaN(m(2)) ? '' : m(2),
            Number.isNaN(m(3)) ? '' : m(3),
          ];
        }),
      );
      process.stdout.write(
        `medians of ${rounds} rounds; load average after the run: ${os
          .loadavg()
          .map((l) => l.toFixed(2))
          .join(' ')} (2 cores)\n`,
      );
      // Ratios are taken within each round, whose raw and registry transfers run back to back, and
      // the median of those is reported: load from elsewhere on a shared machine drifts over tens of
      // seconds, so it moves both sides of a round's ratio alike.
      const secondsOf = (what: string) => samples.get(what)!.map((r) => r[0]!);
      const [putS, getS, pushS, pullS] = [
        'minio put (multipart)',
        'minio get',
        'registry push',
        'registry pull',
      ].map((what) => (samples.has(what) ? secondsOf(what) : []));
      const perRound = (f: (i: number) => number) => Array.from({ length: rounds }, (_, i) => f(i));
      const pushRatios = perRound((i) => putS![i]! / pushS![i]!);
      if (pushOnly) {
        process.stdout.write(`push ratio per round: ${pushRatios.map((r) => r.toFixed(2)).join(' ')}\n`);
        const pushOnlyResult: Record<string, number> = { push_vs_minio: median(pushRatios) };
        return pushOnlyResult;
      }
      const pullRatios = perRound((i) => getS![i]! / pullS![i]!);
      const roundTrips = perRound((i) => (putS![i]! + getS![i]!) / (pushS![i]! + pullS![i]!));
      process.stdout.write(
        `artifact ${(artifact.length / MIB).toFixed(1)} MiB; round-trip ratio per round: ${roundTrips.map((r) => r.toFixed(2)).join(' ')}\n`,
      );
      // Each pair's own (sealed - plain) / plain: a pair runs back to back, so drifting load from
      // elsewhere moves both sides alike.
      const overheadOf = (what: (variant: string) => string) => {
        const [plainS, sealedS] = [secondsOf(what('plain')), secondsOf(what('sealed'))];
        return plainS.map((plainSeconds, i) => (sealedS[i]! - plainSeconds) / plainSeconds);
      };
      const loadOverheads = overheadOf((v) => `load ${v} (read, digest, onnxruntime)`);
      const readOverheads = overheadOf((v) => `read ${v} (ObjectStore.getBuffer)`);
      process.stdout.write(
        `encryption overhead per pair: load ${loadOverheads.map((r) => r.toFixed(3)).join(' ')}; read alone ${readOverheads.map((r) => r.toFixed(3)).join(' ')}\n`,
      );
      return {
        roundtrip_vs_minio: median(roundTrips),
        push_vs_minio: median(pushRatios),
        pull_vs_minio: median(pullRatios),
        encrypt_overhead: median(loadOverheads),
        encrypt_read_overhead: median(readOverheads),
      };
    } finally {
      await Promise.all([plainStore.close(), sealedStore.close()]);
      client.close();
      await mesh.stop();
    }
  },
};
export default bench;

/** User + system CPU seconds of a process so far, from /proc/<pid>/stat; undefined where unavailable. */
function cpuSeconds(pid: number): number | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // Fields 14 and 15 of stat (utime, stime) are at 11 and 12 after the state field; clock ticks are 100 Hz on Linux.
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return undefined;
  }
}

async function rawPut(minio: MinioClient, bucket: string, key: string, body: Buffer): Promise<void> {
  if (body.length <= PART) {
    await minio.putObject(bucket, key, body, body.length);
    return;
  }
  const uploadID = await minio.initiateNewMultipartUpload(bucket, key, {});
  const etags: { part: number; etag: string }[] = [];
  const inFlight = new Set<Promise<void>>();
  for (let part = 1, at = 0; at < body.length; part++, at += PART) {
    const partNumber = part;
    const task: Promise<void> = minio
      .uploadPart(
        { bucketName: bucket, objectName: key, uploadID, partNumber, headers: {} },
        body.subarray(at, at + PART),
      )
      .then((r) => {
        etags.push({ part: partNumber, etag: r.etag });
      })
      .finally(() => inFlight.delete(task));
    inFlight.add(task);
    if (inFlight.size >= 2) await Promise.race(inFlight);
  }
  await Promise.all(inFlight);
  await minio.completeMultipartUpload(
    bucket,
    key,
    uploadID,
    etags.sort((a, b) => a.part - b.part),
  );
}

async function rawGet(minio: MinioClient, bucket: string, key: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of await minio.getObject(bucket, key)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

function push(
  client: registryv1.RegistryServiceClient,
  body: Buffer,
  sha256: string,
): Promise<registryv1.ModelVersion__Output> {
  return new Promise((resolve, reject) => {
    const call = client.PushVersion((err, v) => (err ? reject(err) : resolve(v!)));
    void (async () => {
      call.write({ header: { model: 'bench', format: 'onnx', size_bytes: String(body.length), sha256 } });
      for (let at = 0; at < body.length; at += CHUNK) {
        if (!call.write({ chunk: body.subarray(at, at + CHUNK) })) await once(call, 'drain');
      }
      call.end();
    })().catch(reject);
  });
}

async function pull(client: registryv1.RegistryServiceClient): Promise<string> {
  const hash = createHash('sha256');
  for await (const message of client.DownloadVersion({
    model: 'bench',
    version: '',
  }) as AsyncIterable<registryv1.DownloadVersionChunk__Output>)
    hash.update(message.chunk);
  return hash.digest('hex');
}
