/**
 * A design whose clients are a command in any language, speaking `keyhole-client/1`
 * (docs/client-protocol.md): one process per run, started when the run opens and stopped
 * when it closes. The design has no server logic, escrow authority or quantum reconstruction
 * (the protocol leaves them out, §7).
 */
import type { OptionalOp } from '../../harness/client-protocol/messages.ts';
import type { Claim, ClientContext, Design, DesignRun } from '../types.ts';
import { processClient } from './client.ts';
import { ClientProcess, type ProcessOptions } from './process.ts';

export interface CommandTarget {
  name: string;
  /** The program and its arguments. */
  command: readonly string[];
  claims: readonly Claim[];
  description?: string;
  /** The working folder of the process (default: keyhole's). */
  cwd?: string;
  /** How long keyhole waits for a line while it waits for an answer (default 30 s). */
  timeoutMs?: number;
  /** How long the process may take to answer `hello` (default 60 s). */
  startTimeoutMs?: number;
}

export function commandDesign(target: CommandTarget): Design {
  const options: ProcessOptions = {
    name: target.name,
    command: target.command,
    ...(target.cwd !== undefined && { cwd: target.cwd }),
    ...(target.timeoutMs !== undefined && { timeoutMs: target.timeoutMs }),
    ...(target.startTimeoutMs !== undefined && { startTimeoutMs: target.startTimeoutMs }),
  };
  const outside = (): never => {
    throw new Error(`${target.name} is a command target: its clients exist only within a run`);
  };
  return {
    name: target.name,
    description: target.description ?? `command target: ${target.command.join(' ')}`,
    claims: target.claims,
    createClient: outside,
    restoreClient: outside,
    openRun: () => openRun(target, options),
  };
}

async function openRun(target: CommandTarget, options: ProcessOptions): Promise<DesignRun> {
  const process = new ClientProcess(options);
  let hello;
  try {
    hello = await process.start();
  } catch (error) {
    await process.close();
    throw error;
  }
  const optional = new Set<OptionalOp>(hello.optional ?? []);
  let handles = 0;
  const design: Design = {
    name: target.name,
    description: target.description ?? '',
    claims: target.claims,
    createClient: (context: ClientContext) => processClient(process, `c${++handles}`, context, optional, null).client,
    restoreClient: async (context: ClientContext, image: Uint8Array) => {
      const { client, ready } = processClient(process, `c${++handles}`, context, optional, image);
      await ready;
      return client;
    },
  };
  return { design, close: () => process.close() };
}
