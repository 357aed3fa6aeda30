// Preloaded (`--import`) into a child keyhole command: records in $KEYHOLE_TARGET_LOG every
// module it imports from the package's targets/ folder, so that a test can check which parts
// of which designs a command loaded.
import { register } from 'node:module';

const log = process.env.KEYHOLE_TARGET_LOG;
const targets = new URL('../../targets/', import.meta.url).href;
const hooks = `
import { appendFileSync } from 'node:fs';
export async function resolve(specifier, context, next) {
  const result = await next(specifier, context);
  if (result.url.startsWith(${JSON.stringify(targets)})) appendFileSync(${JSON.stringify(log)}, result.url.slice(${targets.length}) + '\\n');
  return result;
}`;
register(`data:text/javascript,${encodeURIComponent(hooks)}`);
