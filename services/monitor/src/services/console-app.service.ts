import { Injectable } from '@nestjs/common';
import { ConsoleAssetsRepository, type ConsoleAsset } from '../repositories/console-assets.repository.js';

/** The console's single-page app: its page at / and the two bundles the page loads. */
@Injectable()
export class ConsoleAppService {
  constructor(private readonly assets: ConsoleAssetsRepository) {}

  page(): ConsoleAsset {
    return this.assets.get('index.html');
  }

  bundle(file: string): ConsoleAsset {
    return this.assets.get(file);
  }
}
