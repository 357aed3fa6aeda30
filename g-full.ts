import { groupSizeCurve, groupSizeSvg, groupSizeMarkdown } from '/work/wt/perf/bench/group-size.ts';
import { cryptoBackend } from '/work/wt/perf/harness/crypto/index.ts';
import { writeFileSync } from 'node:fs';
const t = performance.now();
const curve = await groupSizeCurve({ crypto: cryptoBackend('node'), quick: process.argv[2] !== 'full', progress: (l) => console.error(l) });
console.log(groupSizeMarkdown(curve).join('\n')); console.log(curve.crossovers.join('\n')); console.log(curve.skipped);
writeFileSync('/tmp/perfw/g.svg', groupSizeSvg(curve, 'test'));
writeFileSync('/tmp/perfw/g.json', JSON.stringify(curve));
console.log(((performance.now()-t)/1000).toFixed(1), 's');
