/** The entry of a `--workers` thread (started with `--import register.js`, so it is TypeScript too). */
import { enableKeyCache } from '../harness/key-cache.ts';
import { serveTasks } from './workers.ts';

enableKeyCache();

serveTasks();
