import { runService } from '@aimass/runtime';
import { AppModule } from './app.module.js';

await runService('trainer', AppModule);
