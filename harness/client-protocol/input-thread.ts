/**
 * The reference adapter's standard input, read on a thread of its own: designs call
 * `context.rng.bytes()` and `context.now()` synchronously, so the adapter must block for the
 * answer to a `random` or `now` call. The main thread parks on a shared buffer; this thread
 * reads every line, hands the awaited answer over through the buffer, and posts all other
 * lines to the main thread in order.
 */
import { Worker } from 'node:worker_threads';
import { MAX_LINE_BYTES, MAX_RANDOM_BYTES, RESPONSE_TIMEOUT_MS } from './limits.ts';

/** The largest synchronous answer: a `random` draw in base64, with room for the JSON around it. */
const SYNC_BYTES = Math.ceil((MAX_RANDOM_BYTES * 4) / 3) + 1024;
const IDLE = 0;
const WAITING = 1;
const FILLED = 2;

// Plain JavaScript (the thread starts without keyhole's TypeScript loader).
const SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const fs = require('node:fs');
const control = new Int32Array(workerData.control);
const data = new Uint8Array(workerData.data);
let parts = [];
let length = 0;
function line(text) {
  if (Atomics.load(control, 0) === ${WAITING}) {
    try {
      const value = JSON.parse(text);
      if (value && value.id === Atomics.load(control, 1) && 'ok' in value) {
        const bytes = Buffer.from(text, 'utf8');
        if (bytes.length <= data.length) {
          data.set(bytes);
          Atomics.store(control, 2, bytes.length);
          Atomics.store(control, 0, ${FILLED});
          Atomics.notify(control, 0);
          return;
        }
      }
    } catch {}
  }
  parentPort.postMessage({ line: text });
}
const stream = fs.createReadStream('', { fd: 0, highWaterMark: 1 << 16 });
stream.on('data', (chunk) => {
  let start = 0;
  for (let end = chunk.indexOf(10); end !== -1; end = chunk.indexOf(10, start)) {
    parts.push(chunk.subarray(start, end));
    line(Buffer.concat(parts).toString('utf8'));
    parts = []; length = 0; start = end + 1;
  }
  const rest = chunk.subarray(start);
  length += rest.length;
  if (length > ${MAX_LINE_BYTES}) { parentPort.postMessage({ tooLong: true }); stream.destroy(); return; }
  if (rest.length > 0) parts.push(rest);
});
stream.on('end', () => parentPort.postMessage({ end: true }));
stream.on('error', () => parentPort.postMessage({ end: true }));
`;

export interface InputEvents {
  line(text: string): void;
  /** Input ended (keyhole closed it): the run is over. */
  end(): void;
  tooLong(): void;
}

export class InputThread {
  readonly #control = new Int32Array(new SharedArrayBuffer(12));
  readonly #data = new Uint8Array(new SharedArrayBuffer(SYNC_BYTES));
  readonly #worker: Worker;

  constructor(events: InputEvents) {
    this.#worker = new Worker(SOURCE, {
      eval: true,
      execArgv: [],
      workerData: { control: this.#control.buffer, data: this.#data.buffer },
    });
    this.#worker.on('message', (message: { line?: string; end?: boolean; tooLong?: boolean }) => {
      if (message.line !== undefined) events.line(message.line);
      else if (message.tooLong) events.tooLong();
      else if (message.end) events.end();
    });
  }

  /** Write `line` (a call with numeric `id`) by `send`, then block until its answer arrives; the answer's text. */
  awaitAnswer(id: number, send: () => void): string {
    Atomics.store(this.#control, 1, id);
    Atomics.store(this.#control, 0, WAITING);
    send();
    const outcome = Atomics.wait(this.#control, 0, WAITING, RESPONSE_TIMEOUT_MS);
    if (outcome === 'timed-out') throw new Error(`keyhole did not answer call ${id} within ${RESPONSE_TIMEOUT_MS / 1000} s`);
    const length = Atomics.load(this.#control, 2);
    const text = Buffer.from(this.#data.subarray(0, length)).toString('utf8');
    Atomics.store(this.#control, 0, IDLE);
    return text;
  }

  stop(): Promise<number> {
    return this.#worker.terminate();
  }
}
