/**
 * `keyhole client <design>` (SPEC §1, §10): serves a design over `keyhole-client/1` on
 * standard input and output until keyhole closes the input; the reference adapter for clients
 * in other languages (docs/client-protocol.md).
 */
import { serveDesign } from '../../harness/client-protocol/serve.ts';
import { cryptoBackend } from '../../harness/crypto/index.ts';
import { InputError } from '../../harness/errors.ts';
import { echo } from '../../harness/printable.ts';
import { registryFor, type PluginFlags } from './catalogue.ts';
import { EXIT } from './exit.ts';

export async function client(name: string, flags: { crypto?: string } & PluginFlags): Promise<number> {
  const registry = await registryFor(flags);
  const loading = registry.loadTarget(name);
  if (!loading) {
    throw new InputError({ file: '<command line>', path: 'design', message: `unknown design ${echo(name)}; expected one of ${registry.targetNames().join(', ')}` });
  }
  const design = await loading;
  const needs = [
    design.createServer && 'server logic',
    design.escrowAuthority && 'an escrow authority',
    design.scanning && 'a scanning authority and its match list',
    design.openRun && 'a process of its own',
  ].filter((need): need is string => typeof need === 'string');
  if (needs.length > 0) {
    throw new InputError({ file: '<command line>', path: 'design', message: `${name} needs keyhole's side too (${needs.join(', ')}), which keyhole-client/1 leaves out` });
  }
  await serveDesign(design, cryptoBackend(flags.crypto ?? 'node'));
  return EXIT.ok;
}
