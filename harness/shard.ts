/**
 * `--shard i/n`: the i-th of n slices of the run matrix (1-based). Slices are round-robin
 * (run j of the matrix goes to shard j mod n + 1), so they differ in size by at most one
 * and a slow target is spread over every shard instead of landing on one. Each shard keeps
 * the matrix order; `keyhole merge` puts the runs back where they were with `matrixIndex`.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js';

import { InputError } from './errors.ts';

/** Shards of one audit at most: more than any CI matrix runs (GitHub Actions allows 256 jobs). */
export const MAX_SHARDS = 1000;
/** Runs in the matrix of a sharded audit at most (the built-in matrix has a few hundred). */
export const MAX_MATRIX_RUNS = 100_000;

export interface Shard {
  /** 1-based. */
  index: number;
  count: number;
}

/** Parses `i/n`; anything else (`0/2`, `3/2`, `x`) is an `InputError` on `--shard`. */
export function parseShard(value: string): Shard {
  const match = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(value);
  const fail = (why: string): never => {
    throw new InputError({ file: '<command line>', path: '--shard', message: `${why}; expected i/n with 1 <= i <= n (e.g. 2/4), got '${value}'` });
  };
  if (!match) return fail('not a shard');
  const index = Number(match[1]);
  const count = Number(match[2]);
  if (!Number.isSafeInteger(index) || !Number.isSafeInteger(count) || count < 1) fail('n must be a positive integer');
  if (count > MAX_SHARDS) fail(`n must be at most ${MAX_SHARDS}`);
  if (index < 1 || index > count) fail(`i must be from 1 to ${count}`);
  return { index, count };
}

/** The runs of one shard, in matrix order. */
export function shardOf<T>(matrix: readonly T[], shard: Shard): T[] {
  return matrix.filter((_, j) => j % shard.count === shard.index - 1);
}

/** How many runs shard `shard` of a matrix of `matrixSize` runs has. */
export function shardSize(matrixSize: number, shard: Shard): number {
  return Math.max(0, Math.ceil((matrixSize - (shard.index - 1)) / shard.count));
}

/** Where the `position`-th run of a shard (0-based) stands in the whole matrix. */
export function matrixIndex(shard: Shard, position: number): number {
  return shard.index - 1 + position * shard.count;
}

/**
 * The identity of a whole matrix, recorded in every shard's report (`shard.matrixId`) so that
 * `merge` refuses shards of another audit: the SHA-256 (hex) of its run keys (`runKey`:
 * target, scenario, adversary) in matrix order, one a line. `merge` computes it again from
 * the runs it puts together, so a shard whose runs do not belong to that matrix is refused too.
 */
export function matrixId(runKeys: readonly string[]): string {
  return bytesToHex(sha256(utf8ToBytes(runKeys.join('\n'))));
}
