/** Exit statuses of every command (SPEC §1). */
export const EXIT = { ok: 0, violated: 1, input: 2, harness: 3 } as const;
