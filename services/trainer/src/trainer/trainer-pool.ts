import { loadConfig } from '@aimass/config';

/**
 * The pool this node pulls jobs for (AIMASS_TRAINER_POOL). Nest reads @EventPattern subjects when
 * the controller module is imported, before anything is injected, so the work-queue subject and its
 * durable consumer name come from here. RuntimeModule.forRoot reads the same environment at the
 * same moment, so both always agree.
 */
export const TRAINER_POOL = loadConfig().trainer.pool;
