import { v5 as uuidv5 } from 'uuid';

/** Fixed namespace of aimass job ids (a random v4 UUID, chosen once). */
const JOB_ID_NAMESPACE = '6f1d2c64-f0a9-4b8e-9a3e-0d5bb7f4c2a1';

/**
 * The job id of a training request that did not name one: a name-based UUID (RFC 9562 version 5)
 * of the request event's id. A redelivered request gets the same job id, and the job id is the
 * work queue's Nats-Msg-Id, so the job is queued once.
 */
export function jobIdFor(requestEventId: string): string {
  // The name goes in as Buffer's UTF-8, which turns a lone surrogate into U+FFFD; uuid's own string
  // encoding throws on one, and the ids already made hashed these bytes.
  return uuidv5(Buffer.from(requestEventId, 'utf8'), JOB_ID_NAMESPACE);
}
