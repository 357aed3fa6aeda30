/**
 * The built-in targets. Keys are the names the CLI accepts (`-t`); adding a design is one
 * new file and one line here.
 */
import { escrow } from './escrow.ts';
import { ghost } from './ghost.ts';
import { libsignal } from './libsignal/client.ts';
import { matrixTargets } from './matrix/design.ts';
import { mls } from './mls.ts';
import { scanning, scanningPerMatch } from './scanning.ts';
import { serverSide } from './server-side.ts';
import { signal } from './signal.ts';
import { staticE2ee } from './static-e2ee.ts';
import type { Design } from './types.ts';
import { whatsapp } from './whatsapp.ts';

export const targets: Record<string, Design> = {
  'server-side': serverSide,
  'static-e2ee': staticE2ee,
  signal,
  ghost,
  escrow,
  libsignal,
  mls,
  whatsapp,
  scanning,
  'scanning-eu': scanningPerMatch,
  ...matrixTargets,
};
