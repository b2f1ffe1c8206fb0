// Requests training with a raw NATS event, as any program can: the official NATS client, no aimass
// code. The `trainer.job.requested` envelope goes to the AIMASS_EVENTS stream, which acknowledges it.
// Usage (from the repo root, with a stack up; stack.env names the NATS address and the `client`
// user's key, the only user besides the trainer's own allowed to publish this subject):
//   set -a; . .aimass/stack.env; set +a
//   node docs/examples/request-training.mjs my-job '{"family":"gmm","dataset":{"builtin":"gaussian_blobs"},"epochs":50}'
//   pnpm aimass jobs watch my-job
import { readFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { jetstream } from '@nats-io/jetstream';
import { connect, nkeyAuthenticator } from '@nats-io/transport-node';

const [
  jobId = `job-${randomUUID().slice(0, 8)}`,
  specJson = '{"family":"gmm","dataset":{"builtin":"gaussian_blobs"},"epochs":50}',
] = process.argv.slice(2);
const seedFile = process.env.AIMASS_NATS_CREDENTIALS;
const nc = await connect({
  servers: (process.env.AIMASS_NATS_URL ?? 'nats://127.0.0.1:4222').split(','),
  // The `client` user may subscribe only to its own reply inboxes, _INBOX_client.*.
  inboxPrefix: '_INBOX_client',
  ...(seedFile
    ? { authenticator: nkeyAuthenticator(Buffer.from(readFileSync(seedFile, 'utf8').trim())) }
    : {}),
});
const envelope = {
  id: randomUUID(),
  type: 'trainer.job.requested',
  source: 'docs/examples/request-training',
  time: new Date().toISOString(),
  subject: 'jobs',
  data: { job_id: jobId, spec: JSON.parse(specJson) },
};
const ack = await jetstream(nc).publish('aimass.events.trainer.job.requested', JSON.stringify(envelope), {
  msgID: envelope.id,
});
console.log(`${jobId} requested (stream ${ack.stream}, sequence ${ack.seq})`);
await nc.close();
