import type { tunerv1 } from '@aimass/contracts';
import { Injectable } from '@nestjs/common';

/**
 * Studies, samplers and pruners arrive with the tuner issue. Until then the tuner reports honestly
 * that it runs no studies and offers no samplers.
 */
@Injectable()
export class TunerService {
  status(): tunerv1.TunerStatus {
    return { studies: 0, samplers: [], pruners: [] };
  }
}
