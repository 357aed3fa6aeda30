/** The entry of a `--workers` thread (started with `--import register.js`, so it is TypeScript too). */
import { serveTasks } from './workers.ts';

serveTasks();
