import { createHash } from 'node:crypto';

/** Fixed namespace of aimass job ids (a random v4 UUID, chosen once). */
const JOB_ID_NAMESPACE = Buffer.from('6f1d2c64f0a94b8e9a3e0d5bb7f4c2a1', 'hex');

/**
 * The job id of a training request that did not name one: a name-based UUID (RFC 9562 version 5)
 * of the request event's id. A redelivered request gets the same job id, and the job id is the
 * work queue's Nats-Msg-Id, so the job is queued once.
 */
export function jobIdFor(requestEventId: string): string {
  const hash = createHash('sha1').update(JOB_ID_NAMESPACE).update(requestEventId, 'utf8').digest();
  hash[6] = ((hash[6] as number) & 0x0f) | 0x50;
  hash[8] = ((hash[8] as number) & 0x3f) | 0x80;
  const hex = hash.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
