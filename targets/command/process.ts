/**
 * One client process of a command target (docs/client-protocol.md): started for a run, spoken
 * to in JSON lines, stopped at the end of the run. Everything it writes is untrusted: lines are
 * bounded and checked against the protocol's schemas, and a process that hangs, exits or
 * answers garbage fails the whole run with a message naming the device and the last request.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { LineSplitter, LineTooLongError } from '../../harness/client-protocol/lines.ts';
import {
  EXIT_GRACE_MS,
  MAX_OUTPUT_BYTES,
  PROTOCOL,
  RESPONSE_TIMEOUT_MS,
  START_TIMEOUT_MS,
  STDERR_TAIL_BYTES,
} from '../../harness/client-protocol/limits.ts';
import {
  callSchema,
  firstIssue,
  parseLine,
  requestId,
  responseSchema,
  resultSchemas,
  type RequestOp,
  type Result,
} from '../../harness/client-protocol/messages.ts';
import { RejectionError, UnsupportedError, type RejectionCode } from '../../harness/errors.ts';
import { printable } from '../../harness/printable.ts';
import type { ClientContext } from '../types.ts';
import { serveCall } from './calls.ts';

export interface ProcessOptions {
  /** The target's name, for messages. */
  name: string;
  command: readonly string[];
  cwd?: string;
  timeoutMs?: number;
  startTimeoutMs?: number;
}

/** The process broke the protocol (or died): the run is an `error` run with this message. */
export class ClientProcessError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ClientProcessError';
  }
}

interface Pending {
  id: number;
  op: RequestOp;
  address: string | null;
  resolve(value: unknown): void;
  reject(error: Error): void;
}

const REJECTION_CODES: ReadonlySet<string> = new Set<RejectionCode>([
  'malformed-message', 'invalid-message', 'duplicate-message', 'no-session', 'too-many-skipped',
  'untrusted-identity', 'bad-signature', 'invalid-prekey', 'unknown-device',
]);

export class ClientProcess {
  readonly #options: ProcessOptions;
  readonly #child: ChildProcess;
  readonly #lines = new LineSplitter();
  readonly #pending = new Map<number, Pending>();
  /** The context of every client handle, for its calls. */
  readonly contexts = new Map<string, ClientContext>();
  #nextId = 1;
  #last: Pending | null = null;
  #failure: Error | null = null;
  #closing = false;
  #exited: Promise<void>;
  #watchdog: NodeJS.Timeout | undefined;
  #stderr = Buffer.alloc(0);
  #received = 0;
  /** Calls keyhole is serving: the process waits on keyhole then, so the watchdog does not run. */
  #serving = 0;

  constructor(options: ProcessOptions) {
    this.#options = options;
    const [file, ...args] = options.command;
    this.#child = spawn(file!, args, { cwd: options.cwd, stdio: ['pipe', 'pipe', 'pipe'] });
    this.#exited = new Promise((resolve) => this.#child.once('close', () => resolve()));
    this.#child.once('error', (error) => this.fail(`could not start ${printable(file!)}: ${error.message}`));
    this.#child.once('exit', (code, signal) => {
      if (this.#closing) return;
      const how = signal ? `was killed by ${signal}` : `exited with status ${code}`;
      const tail = this.#stderr.toString('utf8').trim();
      this.fail(tail ? `${how} (stderr: ${printable(tail)})` : how);
    });
    this.#child.stdin!.on('error', () => this.fail('closed its standard input'));
    this.#child.stdout!.on('data', (chunk: Buffer) => this.#onData(chunk));
    this.#child.stderr!.on('data', (chunk: Buffer) => {
      const joined = Buffer.concat([this.#stderr, chunk]);
      this.#stderr = joined.subarray(Math.max(0, joined.length - STDERR_TAIL_BYTES));
    });
  }

  /** `hello`: the optional operations the client implements. */
  async start(): Promise<Result<'hello'>> {
    const hello = await this.request('hello', { protocol: PROTOCOL }, null);
    if (hello.protocol !== PROTOCOL) this.fail(`speaks ${printable(hello.protocol)}, not ${PROTOCOL}`);
    return hello;
  }

  request<Op extends RequestOp>(op: Op, fields: Record<string, unknown>, address: string | null): Promise<Result<Op>> {
    if (this.#failure) return Promise.reject(this.#failure);
    const id = this.#nextId++;
    const promise = new Promise<Result<Op>>((resolve, reject) => {
      const pending: Pending = { id, op, address, resolve: resolve as (value: unknown) => void, reject };
      this.#pending.set(id, pending);
      this.#last = pending;
    });
    this.#write({ id, op, ...fields });
    this.#arm();
    return promise;
  }

  /** The run is over: close the process's input, kill it if it does not exit; what broke the run, or null. */
  async close(): Promise<Error | null> {
    this.#closing = true;
    clearTimeout(this.#watchdog);
    this.#child.stdin!.end();
    const grace = setTimeout(() => this.#child.kill('SIGKILL'), EXIT_GRACE_MS);
    if (this.#child.exitCode === null && this.#child.signalCode === null) await this.#exited;
    clearTimeout(grace);
    return this.#failure;
  }

  /** Fail the run: every pending and later request rejects with one error naming the device and request. */
  fail(reason: string | Error): void {
    if (this.#failure) return;
    const last = this.#innermost();
    const where = last ? ` (${last.address ? `device ${last.address}, ` : ''}request #${last.id} ${last.op})` : '';
    this.#failure =
      reason instanceof Error ? reason : new ClientProcessError(`client process of ${this.#options.name} failed: ${reason}${where}`);
    clearTimeout(this.#watchdog);
    for (const pending of this.#pending.values()) pending.reject(this.#failure);
    this.#pending.clear();
    this.#closing = true;
    this.#child.kill('SIGKILL');
  }

  /** The latest request still unanswered, else the last one sent. */
  #innermost(): Pending | null {
    let latest: Pending | null = null;
    for (const pending of this.#pending.values()) latest = pending;
    return latest ?? this.#last;
  }

  /** While keyhole waits for an answer, the process must write a line within the timeout. */
  #arm(): void {
    clearTimeout(this.#watchdog);
    if (this.#pending.size === 0 || this.#serving > 0 || this.#failure) return;
    const ms = this.#pending.has(1) ? (this.#options.startTimeoutMs ?? START_TIMEOUT_MS) : (this.#options.timeoutMs ?? RESPONSE_TIMEOUT_MS);
    this.#watchdog = setTimeout(() => this.fail(`no answer within ${ms / 1000} s`), ms);
  }

  #write(message: Record<string, unknown>): void {
    if (this.#closing) return;
    this.#child.stdin!.write(`${JSON.stringify(message)}\n`);
  }

  #onData(chunk: Buffer): void {
    if (this.#failure) return;
    this.#received += chunk.length;
    if (this.#received > MAX_OUTPUT_BYTES) return this.fail(`wrote more than ${MAX_OUTPUT_BYTES} bytes`);
    let lines: string[];
    try {
      lines = this.#lines.push(chunk);
    } catch (error) {
      if (error instanceof LineTooLongError) return this.fail(`wrote ${error.message}`);
      throw error;
    }
    for (const line of lines) {
      if (this.#failure) return;
      this.#onLine(line);
    }
    this.#arm();
  }

  #onLine(line: string): void {
    const parsed = parseLine(line);
    if ('problem' in parsed) return this.fail(`wrote ${parsed.problem}: ${printable(line)}`);
    const message = parsed.value;
    if ('op' in message) return this.#onCall(message);
    if ('ok' in message) return this.#onResponse(message);
    this.fail(`wrote a line that is neither a request (op) nor a response (ok): ${printable(line)}`);
  }

  #onResponse(message: Record<string, unknown>): void {
    const response = responseSchema.safeParse(message);
    if (!response.success) return this.fail(`answered with a malformed response: ${firstIssue(response.error)}`);
    const { id } = response.data;
    const pending = typeof id === 'number' ? this.#pending.get(id) : undefined;
    if (!pending) return this.fail(`answered request #${printable(String(id))}, which keyhole had not sent or was answered`);
    this.#last = pending;
    if (response.data.ok) {
      const result = resultSchemas[pending.op].safeParse(response.data);
      if (!result.success) return this.fail(`answered ${pending.op} with ${firstIssue(result.error)}`);
      this.#pending.delete(id as number);
      pending.resolve(result.data);
      return;
    }
    const { code, message: text, rejection } = response.data.error;
    if (code === 'bad-request' || code === 'provider') return this.fail(`refused the request as ${code}: ${printable(text)}`);
    this.#pending.delete(id as number);
    if (code === 'unsupported') pending.reject(new UnsupportedError(text));
    else if (code === 'rejected' && rejection && REJECTION_CODES.has(rejection)) pending.reject(new RejectionError(rejection as RejectionCode, text));
    else pending.reject(new Error(text));
  }

  #onCall(message: Record<string, unknown>): void {
    const id = requestId.safeParse(message.id);
    if (!id.success) return this.fail('made a call without a valid id');
    const call = callSchema.safeParse(message);
    if (!call.success) return this.fail(`made a malformed call: ${firstIssue(call.error)}`);
    if (this.#pending.size === 0) return this.fail(`called ${call.data.op} while keyhole had no request pending`);
    const context = this.contexts.get(call.data.client);
    if (!context) return this.fail(`called ${call.data.op} for client ${printable(call.data.client)}, which keyhole had not created`);
    this.#serving++;
    serveCall(call.data, context).finally(() => {
      this.#serving--;
      this.#arm();
    }).then(
      (result) => this.#write({ id: id.data, ok: true, ...result }),
      (error: unknown) => {
        if (error instanceof Error && error.name === 'ProviderError') {
          this.#write({ id: id.data, ok: false, error: { code: 'provider', message: error.message } });
        } else {
          // Not the provider refusing: the harness itself (an adversary's own limit, a defect) fails the run as in process.
          this.fail(error instanceof Error ? error : new Error(String(error)));
        }
      },
    );
  }
}
