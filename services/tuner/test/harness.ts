import type { tunerv1 } from '@aimass/contracts';
import { createMeshClient } from '@aimass/grpc/client';
import type { Mesh } from '@aimass/testing';
import type { ServiceError } from '@grpc/grpc-js';
import { connect, type NatsConnection } from '@nats-io/transport-node';

export function tunerClient(mesh: Mesh, token?: string): tunerv1.TunerServiceClient {
  return createMeshClient<tunerv1.TunerServiceClient>('tuner', mesh.env.AIMASS_TUNER_GRPC!, {}, token);
}

/** A unary call as a promise. */
export function call<Res>(client: unknown, method: string, request: object): Promise<Res> {
  return new Promise((resolve, reject) =>
    (client as Record<string, (r: object, cb: (e: ServiceError | null, r: Res) => void) => void>)[method]!(
      request,
      (err, res) => (err ? reject(err) : resolve(res)),
    ),
  );
}

export interface TunerEvent {
  id: string;
  type: string;
  data: Record<string, unknown> & { study_id: string; trial?: number };
}

/** Collects every tuner event from the mesh's NATS with a plain client. */
export async function watchTunerEvents(natsUrl: string): Promise<{
  nc: NatsConnection;
  of(studyId: string, type?: string): TunerEvent[];
}> {
  const nc = await connect({ servers: natsUrl });
  const events: TunerEvent[] = [];
  nc.subscribe('aimass.events.tuner.>', {
    callback: (err, msg) => {
      if (!err) events.push(msg.json<TunerEvent>());
    },
  });
  await nc.flush();
  return {
    nc,
    of: (studyId, type) =>
      events.filter((e) => e.data.study_id === studyId && (type === undefined || e.type === type)),
  };
}
