import { createMeshClient } from '@aimass/grpc/client';
import type { registryv1, trainerv1 } from '@aimass/contracts';
import type { Mesh } from '@aimass/testing';
import type { ServiceError } from '@grpc/grpc-js';
import { connect, type NatsConnection } from '@nats-io/transport-node';

/** A job event as a plain NATS subscriber sees it. */
export interface JobEvent {
  id: string;
  type: string;
  source: string;
  data: Record<string, unknown> & { job_id: string; backend: string; node_id?: string; epoch?: number };
}

/** Collects every trainer job event from the mesh's NATS with a plain client. */
export async function watchJobEvents(
  natsUrl: string,
): Promise<{ nc: NatsConnection; events: JobEvent[]; of(jobId: string, type?: string): JobEvent[] }> {
  const nc = await connect({ servers: natsUrl });
  const events: JobEvent[] = [];
  nc.subscribe('aimass.events.trainer.job.>', {
    callback: (err, msg) => {
      if (err) return;
      try {
        events.push(msg.json<JobEvent>());
      } catch {
        // Garbage some test published on purpose.
      }
    },
  });
  await nc.flush();
  return {
    nc,
    events,
    of: (jobId, type) =>
      events.filter((e) => e.data.job_id === jobId && (type === undefined || e.type === type)),
  };
}

export function call<Req, Res>(client: unknown, method: string, request: Req): Promise<Res> {
  return new Promise((resolve, reject) =>
    (client as Record<string, (r: Req, cb: (e: ServiceError | null, r: Res) => void) => void>)[method]!(
      request,
      (err, res) => (err ? reject(err) : resolve(res)),
    ),
  );
}

export function trainerClient(mesh: Mesh): trainerv1.TrainerServiceClient {
  return createMeshClient<trainerv1.TrainerServiceClient>('trainer', mesh.env.AIMASS_TRAINER_GRPC!);
}

export function registryClient(mesh: Mesh): registryv1.RegistryServiceClient {
  return createMeshClient<registryv1.RegistryServiceClient>('registry', mesh.env.AIMASS_REGISTRY_GRPC!);
}
