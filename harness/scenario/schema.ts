/**
 * The raw scenario file format (SPEC §2), as zod schemas: the shape of the file only.
 * References (does this user, device, group, mark or id exist at that step?) are checked
 * by `load.ts`, which also turns the raw form into the normalized `Scenario`.
 *
 * Every object is strict: an unknown key is an error. Error messages say what was
 * expected; `load.ts` adds the file, the path and the line:column.
 */
import { z } from 'zod';

import { MAX_COUNT, MAX_LABEL_LENGTH, MAX_NAME_LENGTH, MAX_WAIT_MS } from '../limits.ts';
import type { StepKind } from './types.ts';

export { MAX_COUNT, MAX_LABEL_LENGTH, MAX_NAME_LENGTH, MAX_WAIT_MS };

/** `wait` units (SPEC §2), in milliseconds. */
export const WAIT_UNITS = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** Users, devices and groups: joined into addresses `user.device`, so no dots. */
const ENTITY_NAME = /^[^\s.\p{C}]+$/u;
/** Marks, ids, scenario names: printable, no surrounding blanks. */
const LABEL = /^[^\s\p{C}](?:[^\p{C}]*[^\s\p{C}])?$/u;
/** `user.device`. */
const ADDRESS = /^[^\s.\p{C}]+\.[^\s.\p{C}]+$/u;
/** `user` or `user.device`. */
const USER_OR_ADDRESS = /^[^\s.\p{C}]+(?:\.[^\s.\p{C}]+)?$/u;

const NAME_RULE = `non-empty, at most ${MAX_NAME_LENGTH} characters, no dots, blanks or control characters`;
const LABEL_RULE = `non-empty, at most ${MAX_LABEL_LENGTH} printable characters, no leading or trailing blanks`;

function text(what: string, pattern: RegExp, max: number, rule: string) {
  const message = `expected ${what} (${rule})`;
  return z
    .string({ error: `expected ${what}` })
    .min(1, { error: message })
    .max(max, { error: message })
    .regex(pattern, { error: message })
    .refine((value) => value !== '__proto__', { error: `'__proto__' is not allowed as ${what}` });
}

export const userName = text('a user name', ENTITY_NAME, MAX_NAME_LENGTH, NAME_RULE);
export const deviceName = text('a device name', ENTITY_NAME, MAX_NAME_LENGTH, NAME_RULE);
export const groupName = text('a group name', ENTITY_NAME, MAX_NAME_LENGTH, NAME_RULE);
export const recipientName = text(
  'a user or a group name',
  ENTITY_NAME,
  MAX_NAME_LENGTH,
  `${NAME_RULE}; a message goes to all devices of a user or group, not to one device`,
);
export const markName = text('a mark name', LABEL, MAX_LABEL_LENGTH, LABEL_RULE);
export const messageId = text('a message id', LABEL, MAX_LABEL_LENGTH, LABEL_RULE);
export const scenarioName = text('a scenario name', LABEL, MAX_LABEL_LENGTH, LABEL_RULE);
export const deviceAddress = text(
  'a device address user.device (e.g. bob.phone)',
  ADDRESS,
  2 * MAX_NAME_LENGTH + 1,
  NAME_RULE.replace('no dots, blanks', 'exactly one dot, no blanks'),
);
export const senderRef = text(
  'a user (its primary device) or a device address user.device',
  USER_OR_ADDRESS,
  2 * MAX_NAME_LENGTH + 1,
  'no blanks or control characters',
);

/**
 * A strict object whose errors name the allowed keys: an unknown key gives an
 * `unrecognized_keys` issue whose message is `expected only: a, b, c`.
 */
function strict<S extends z.ZodRawShape>(shape: S, what = 'a mapping') {
  const keys = Object.keys(shape).join(', ');
  return z.strictObject(shape, {
    error: (issue) => {
      if (issue.code === 'unrecognized_keys') return `expected only: ${keys}`;
      if (issue.code === 'invalid_type') return `expected ${what} with keys: ${keys}`;
      return undefined;
    },
  });
}

function uniqueList<T extends z.ZodType<string>>(item: T, what: string, min: number) {
  return z
    .array(item, { error: `expected a list of ${what}` })
    .min(min, { error: `expected a list of at least ${min} ${what}` })
    .superRefine((list, ctx) => {
      const seen = new Set<string>();
      list.forEach((value, index) => {
        if (seen.has(value)) ctx.addIssue({ code: 'custom', path: [index], message: `'${value}' is listed twice` });
        seen.add(value);
      });
    });
}

/**
 * How a near-duplicate differs from the text it is `like`: the first occurrence of a phrase
 * replaced, a phrase put before or after it. Applied in that order.
 */
export const editSchema = strict({
  replace: z
    .tuple([z.string({ error: 'expected the phrase to replace' }).min(1, { error: 'expected a non-empty phrase to replace' }), z.string({ error: 'expected the replacement' })], {
      error: 'expected [phrase, replacement]',
    })
    .optional(),
  prepend: z.string({ error: 'expected a string' }).optional(),
  append: z.string({ error: 'expected a string' }).optional(),
}).refine((edit) => edit.replace !== undefined || edit.prepend !== undefined || edit.append !== undefined, {
  error: 'expected at least one of replace: [phrase, replacement], prepend, append',
});

export type Edit = z.infer<typeof editSchema>;

export const sendSchema = strict({
  from: senderRef,
  to: recipientName,
  id: messageId.optional(),
  text: z.string({ error: 'expected a string' }).optional(),
  count: z
    .number({ error: `expected an integer from 1 to ${MAX_COUNT}` })
    .int({ error: `expected an integer from 1 to ${MAX_COUNT}` })
    .min(1, { error: `expected an integer from 1 to ${MAX_COUNT}` })
    .max(MAX_COUNT, { error: `expected an integer from 1 to ${MAX_COUNT}` })
    .optional(),
  /** A near-duplicate: the text of an earlier message (by id), changed by `edit`. */
  like: messageId.optional(),
  edit: editSchema.optional(),
});

export const deleteSchema = strict({
  device: deviceAddress,
  ids: uniqueList(messageId, 'message ids', 1).optional(),
  all: z.literal(true, { error: 'expected true (or give ids instead)' }).optional(),
}).superRefine((value, ctx) => {
  if (value.ids === undefined && value.all === undefined) {
    ctx.addIssue({ code: 'custom', message: 'expected either ids: [...] or all: true' });
  } else if (value.ids !== undefined && value.all !== undefined) {
    ctx.addIssue({ code: 'custom', path: ['all'], message: 'expected either ids: [...] or all: true, not both' });
  }
});

export const verifySchema = uniqueList(userName, 'user names', 2);

const WAIT_RULE = `a duration: a whole number and a unit, s, m, h or d (e.g. 3d, 90m), at most ${MAX_WAIT_MS / WAIT_UNITS.d} days`;

/** `wait: 3d`: how far the run's clock moves on, in milliseconds. */
export const waitSchema = z
  .string({ error: `expected ${WAIT_RULE}` })
  .transform((value, ctx) => {
    const match = /^([1-9][0-9]{0,9})([smhd])$/.exec(value);
    const ms = match ? Number(match[1]) * WAIT_UNITS[match[2] as keyof typeof WAIT_UNITS] : Number.NaN;
    if (!(ms <= MAX_WAIT_MS)) {
      ctx.issues.push({ code: 'custom', input: value, message: `expected ${WAIT_RULE}, got '${value}'` });
      return z.NEVER;
    }
    return ms;
  });

export const linkDeviceSchema = strict({ user: userName, device: deviceName });
export const unlinkDeviceSchema = strict({ device: deviceAddress });
export const memberChangeSchema = strict({ group: groupName, user: userName, by: userName });

/** The body of each step kind: a step is `{ <kind>: <body> }`. */
export const stepBodySchemas = {
  send: sendSchema,
  delete: deleteSchema,
  mark: markName,
  wait: waitSchema,
  offline: deviceAddress,
  online: deviceAddress,
  verify: verifySchema,
  'link-device': linkDeviceSchema,
  'unlink-device': unlinkDeviceSchema,
  'add-member': memberChangeSchema,
  'remove-member': memberChangeSchema,
} as const satisfies Record<StepKind, z.ZodType>;

export const STEP_KINDS = Object.keys(stepBodySchemas) as StepKind[];

export type RawStep = {
  [K in StepKind]: { [P in K]: z.output<(typeof stepBodySchemas)[P]> };
}[StepKind];

function isStepKind(key: string): key is StepKind {
  return Object.hasOwn(stepBodySchemas, key);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * One step: a mapping with exactly one key, the step kind. Checked by hand so that the
 * errors speak of the step kind instead of ten failed union branches.
 */
export const stepSchema = z.unknown().transform((input, ctx): RawStep => {
  const kinds = STEP_KINDS.join(', ');
  if (!isPlainObject(input)) {
    ctx.issues.push({ code: 'custom', input, message: `expected a step: a mapping with one key, the step kind (${kinds})` });
    return z.NEVER;
  }
  const keys = Object.keys(input);
  if (keys.length !== 1) {
    ctx.issues.push({
      code: 'custom',
      input,
      message:
        keys.length === 0
          ? `expected a step kind (${kinds})`
          : `expected exactly one step kind per step, found ${keys.length}: ${keys.join(', ')}`,
    });
    return z.NEVER;
  }
  const kind = keys[0]!;
  if (!isStepKind(kind)) {
    ctx.issues.push({
      code: 'custom',
      input,
      path: [kind],
      params: { atKey: true },
      message: `unknown step kind '${kind}' (expected one of: ${kinds})`,
    });
    return z.NEVER;
  }
  const result = (stepBodySchemas[kind] as z.ZodType).safeParse(input[kind]);
  if (!result.success) {
    for (const issue of result.error.issues) ctx.issues.push({ ...issue, path: [kind, ...issue.path] } as never);
    return z.NEVER;
  }
  return { [kind]: result.data } as RawStep;
});

export const groupSchema = strict({
  admin: userName,
  members: uniqueList(userName, 'user names', 1),
});

export const adversaryParamsSchema = z.record(z.string(), z.unknown(), {
  error: 'expected a mapping of parameters (use {} for none)',
});

export const scenarioFileSchema = strict(
  {
    name: scenarioName,
    description: z.string({ error: 'expected a string' }).optional(),
    users: z
      .record(userName, uniqueList(deviceName, 'device names (the first is the primary)', 1), {
        error: 'expected a mapping of user -> list of device names',
      })
      .refine((users) => Object.keys(users).length > 0, { error: 'expected at least one user' }),
    groups: z.record(groupName, groupSchema, { error: 'expected a mapping of group -> { admin, members }' }).optional(),
    steps: z
      .array(stepSchema, { error: 'expected a list of steps' })
      .min(1, { error: 'expected at least one step' }),
    adversaries: z
      .record(z.string().min(1), adversaryParamsSchema, { error: 'expected a mapping of adversary -> parameters' })
      .optional(),
  },
  'a scenario: a mapping',
);

export type RawScenario = z.output<typeof scenarioFileSchema>;
