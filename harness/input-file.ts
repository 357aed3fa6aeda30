/** Reading and parsing input files: see `./input/index.ts`, whose exports these are. */
export * from './input/index.ts';
