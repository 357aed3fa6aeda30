/**
 * The reference adapter (`keyhole client <design>`): serves a design over `keyhole-client/1`
 * (docs/client-protocol.md) on standard input and output. Each `create`/`restore` makes one
 * client of the design, whose context reaches back to keyhole: the random stream and the clock
 * by synchronous calls (designs draw them synchronously), the provider and alerts by ordinary
 * calls. Requests are served concurrently, as the protocol's nesting needs.
 */
import { writeSync } from 'node:fs';
import type { Client, ClientContext, Design } from '../../targets/types.ts';
import type { CryptoBackend } from '../crypto/backend.ts';
import { RejectionError, UnsupportedError } from '../errors.ts';
import { Rng } from '../rng.ts';
import type { AlertKind } from '../report/types.ts';
import { InputThread } from './input-thread.ts';
import { PROTOCOL } from './limits.ts';
import { firstIssue, parseLine, requestSchema, responseSchema, toBase64, OPTIONAL_OPS, type Request } from './messages.ts';
import { RemoteProvider, type Caller } from './remote-provider.ts';
import { RemoteRng } from './remote-rng.ts';

export function serveDesign(design: Design, crypto: CryptoBackend): Promise<void> {
  return new Promise((resolve) => new Adapter(design, crypto, resolve));
}

class Adapter implements Caller {
  readonly #design: Design;
  readonly #crypto: CryptoBackend;
  readonly #clients = new Map<string, Client>();
  readonly #pending = new Map<number, { resolve(value: Record<string, unknown>): void; reject(error: Error): void }>();
  readonly #input: InputThread;
  #nextCall = 1;

  constructor(design: Design, crypto: CryptoBackend, done: () => void) {
    this.#design = design;
    this.#crypto = crypto;
    this.#input = new InputThread({
      line: (text) => this.#onLine(text),
      end: () => void this.#input.stop().then(done),
      tooLong: () => {
        process.stderr.write('keyhole client: a request line over the limit\n');
        void this.#input.stop().then(done);
      },
    });
  }

  call(op: string, fields: Record<string, unknown>): Promise<Record<string, unknown>> {
    const id = this.#nextCall++;
    const answer = new Promise<Record<string, unknown>>((resolve, reject) => this.#pending.set(id, { resolve, reject }));
    this.#write({ id, op, ...fields });
    return answer;
  }

  callSync(op: string, fields: Record<string, unknown>): Record<string, unknown> {
    const id = this.#nextCall++;
    const text = this.#input.awaitAnswer(id, () => this.#write({ id, op, ...fields }));
    const parsed = parseLine(text);
    if ('problem' in parsed) throw new Error(`keyhole answered ${op} with ${parsed.problem}`);
    const response = responseSchema.parse(parsed.value);
    if (!response.ok) throw new Error(`keyhole refused ${op}: ${response.error.message}`);
    return response;
  }

  #write(message: Record<string, unknown>): void {
    const bytes = Buffer.from(`${JSON.stringify(message)}\n`, 'utf8');
    for (let offset = 0; offset < bytes.length; ) {
      try {
        offset += writeSync(1, bytes, offset);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EAGAIN') throw error;
      }
    }
  }

  #onLine(text: string): void {
    const parsed = parseLine(text);
    if ('problem' in parsed) return this.#write({ id: null, ok: false, error: { code: 'bad-request', message: parsed.problem } });
    const message = parsed.value;
    if ('ok' in message) {
      const response = responseSchema.safeParse(message);
      const pending = response.success && typeof response.data.id === 'number' ? this.#pending.get(response.data.id) : undefined;
      if (!response.success || !pending) return;
      this.#pending.delete(response.data.id as number);
      if (response.data.ok) pending.resolve(response.data);
      else pending.reject(Object.assign(new Error(response.data.error.message), { code: response.data.error.code }));
      return;
    }
    const request = requestSchema.safeParse(message);
    const id = typeof message.id === 'number' || typeof message.id === 'string' ? message.id : null;
    if (!request.success) return this.#write({ id, ok: false, error: { code: 'bad-request', message: firstIssue(request.error) } });
    this.#serve(request.data).then(
      (result) => this.#write({ id, ok: true, ...result }),
      (error: unknown) => this.#write({ id, ok: false, error: errorOf(error) }),
    );
  }

  async #serve(request: Request): Promise<Record<string, unknown>> {
    if (request.op === 'hello') {
      if (request.protocol !== PROTOCOL) throw new BadRequest(`this adapter speaks ${PROTOCOL}, not ${request.protocol}`);
      return { protocol: PROTOCOL, design: this.#design.name, optional: this.#optionalOps() };
    }
    if (request.op === 'create' || request.op === 'restore') {
      if (this.#clients.has(request.client)) throw new BadRequest(`client ${request.client} exists already`);
      const context = this.#context(request.client, request);
      this.#clients.set(request.client, request.op === 'create' ? this.#design.createClient(context) : await this.#design.restoreClient(context, request.image));
      return {};
    }
    const client = this.#clients.get(request.client);
    if (!client) throw new BadRequest(`no client ${request.client}`);
    switch (request.op) {
      case 'register':
        await client.register(request.provisioning ?? undefined);
        return {};
      case 'provisionDevice':
        return { provisioning: toBase64(await client.provisionDevice(request.device)) };
      case 'unlinkDevice':
        await client.unlinkDevice(request.device);
        return {};
      case 'send':
        return { outcome: await client.send(request.message) };
      case 'receive': {
        const received = await client.receive(request.envelope);
        return { message: received && { ...received, body: toBase64(received.body) } };
      }
      case 'deleteMessages':
        await client.deleteMessages(request.ids);
        return {};
      case 'safetyNumber':
        return { safetyNumber: await client.safetyNumber(request.peer) };
      case 'recordVerification':
        await client.recordVerification(request.peer, request.matched, request.safetyNumber);
        return {};
      case 'createGroup':
        await client.createGroup(request.group, request.members);
        return {};
      case 'addMember':
        await client.addMember(request.group, request.user);
        return {};
      case 'removeMember':
        await client.removeMember(request.group, request.user);
        return {};
      case 'maintain':
        if (!client.maintain) throw new BadRequest(`${this.#design.name} has no maintain`);
        await client.maintain();
        return {};
      case 'exportState':
        return { image: toBase64(await client.exportState()) };
      case 'openSent':
        return { body: nullableBase64(await client.openSent(request.envelope)) };
      case 'openSessionStart':
        if (!client.openSessionStart) throw new BadRequest(`${this.#design.name} has no openSessionStart`);
        return { body: nullableBase64(await client.openSessionStart(request.envelope)) };
    }
  }

  /** The optional operations the design's clients have (a client made only to look, never used). */
  #optionalOps(): string[] {
    const probe = this.#design.createClient({
      ...this.#context('probe', { address: 'probe.probe', user: 'probe', device: 'probe' }),
      rng: Rng.fromSeed('keyhole-client probe'),
      now: () => 0,
    });
    return OPTIONAL_OPS.filter((op) => typeof probe[op] === 'function');
  }

  #context(handle: string, device: { address: string; user: string; device: string }): ClientContext {
    return {
      address: device.address as ClientContext['address'],
      user: device.user,
      device: device.device,
      provider: new RemoteProvider(this, handle),
      rng: new RemoteRng(this, handle) as unknown as Rng,
      crypto: this.#crypto,
      now: () => this.callSync('now', { client: handle }).now as number,
      serverConfig: null,
      escrowKey: null,
      alert: (kind: AlertKind, about: string, members?: readonly string[]) => void this.call('alert', { client: handle, kind, about, ...(members && { members }) }).catch(() => {}),
    };
  }
}

class BadRequest extends Error {}

const nullableBase64 = (bytes: Uint8Array | null) => (bytes === null ? null : toBase64(bytes));

function errorOf(error: unknown): { code: string; message: string; rejection?: string } {
  const message = error instanceof Error ? error.message : String(error);
  if (error instanceof BadRequest) return { code: 'bad-request', message };
  if (error instanceof UnsupportedError) return { code: 'unsupported', message };
  if (error instanceof RejectionError) return { code: 'rejected', message, rejection: error.code };
  return { code: 'failed', message };
}
