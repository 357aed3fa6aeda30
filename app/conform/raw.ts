/**
 * A raw session with a client process for `keyhole conform`: lines written as given (also
 * malformed ones, on purpose), answers read back with a timeout. No calls are served.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { LineSplitter } from '../../harness/client-protocol/lines.ts';
import { EXIT_GRACE_MS } from '../../harness/client-protocol/limits.ts';
import { parseLine } from '../../harness/client-protocol/messages.ts';

export class RawSession {
  readonly #child: ChildProcess;
  readonly #lines = new LineSplitter();
  readonly #queue: Record<string, unknown>[] = [];
  #waiter: (() => void) | null = null;
  #ended = false;

  constructor(command: readonly string[]) {
    const [file, ...args] = command;
    this.#child = spawn(file!, args, { stdio: ['pipe', 'pipe', 'ignore'] });
    this.#child.on('error', () => this.#end());
    this.#child.on('close', () => this.#end());
    this.#child.stdin!.on('error', () => {});
    this.#child.stdout!.on('data', (chunk: Buffer) => {
      try {
        for (const line of this.#lines.push(chunk)) {
          const parsed = parseLine(line);
          this.#queue.push('value' in parsed ? parsed.value : { unparsable: line });
        }
      } catch {
        this.#queue.push({ unparsable: '(a line over the limit)' });
      }
      this.#waiter?.();
    });
  }

  send(line: string): void {
    if (!this.#ended) this.#child.stdin!.write(`${line}\n`);
  }

  /** The next line the process writes, or why there is none. */
  async next(timeoutMs: number): Promise<Record<string, unknown> | { missing: string }> {
    const deadline = Date.now() + timeoutMs;
    while (this.#queue.length === 0) {
      if (this.#ended) return { missing: 'the process exited' };
      const left = deadline - Date.now();
      if (left <= 0) return { missing: `no answer within ${timeoutMs / 1000} s` };
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#waiter = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.#waiter = null;
    }
    return this.#queue.shift()!;
  }

  async close(): Promise<void> {
    this.#child.stdin!.end();
    if (this.#ended) return;
    const grace = setTimeout(() => this.#child.kill('SIGKILL'), EXIT_GRACE_MS);
    await new Promise<void>((resolve) => this.#child.once('close', () => resolve()));
    clearTimeout(grace);
  }

  #end(): void {
    this.#ended = true;
    this.#waiter?.();
  }
}
