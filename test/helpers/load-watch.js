// Preloaded (`--import`) into a child keyhole command: records in $KEYHOLE_LOAD_LOG every
// module it imports from the libraries a command may not need (libsignal, ts-mls, sql.js) and
// every WebAssembly module it compiles, so that a test can check what a command loaded.
import { appendFileSync } from 'node:fs';
import { register } from 'node:module';

const log = process.env.KEYHOLE_LOAD_LOG;
const hooks = `
import { appendFileSync } from 'node:fs';
export async function resolve(specifier, context, next) {
  const result = await next(specifier, context);
  if (/node_modules\\/(@signalapp\\/libsignal-client|ts-mls|sql\\.js)\\//.test(result.url)) appendFileSync(${JSON.stringify(log)}, 'module ' + result.url + '\\n');
  return result;
}`;
register(`data:text/javascript,${encodeURIComponent(hooks)}`);
for (const name of ['compile', 'instantiate', 'compileStreaming', 'instantiateStreaming']) {
  const original = WebAssembly[name];
  WebAssembly[name] = function (...args) {
    appendFileSync(log, `webassembly ${name}\n`);
    return original.apply(this, args);
  };
}
const OriginalModule = WebAssembly.Module;
WebAssembly.Module = function (...args) {
  appendFileSync(log, 'webassembly Module\n');
  return new OriginalModule(...args);
};
process.on('exit', () => {
  // swc's own native module (the transpiler ts-node may run in a checkout) is not keyhole's.
  const native = process.report.getReport().sharedObjects.filter((path) => path.endsWith('.node') && !/swc/.test(path));
  for (const path of native) appendFileSync(log, `native ${path}\n`);
});
