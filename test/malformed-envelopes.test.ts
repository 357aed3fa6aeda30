/**
 * Malformed envelopes, field by field: every design refuses them with the harness's coded
 * rejection (`RejectionError`), never a stray TypeError or RangeError from deep in its code.
 * First, every field of a first-contact message and of a group message, dropped and cut short
 * in turn, for every target; then the crashes envelope fuzzing found, one test each.
 */
import test, { type ExecutionContext } from 'ava';
import { LibSignalErrorBase } from '@signalapp/libsignal-client';
import { cryptoBackend } from '../harness/crypto/index.ts';
import { RejectionError, type RejectionCode } from '../harness/errors.ts';
import type { Envelope } from '../harness/provider/api.ts';
import { Rng } from '../harness/rng.ts';
import type { DeviceAddress } from '../harness/scenario/types.ts';
import { loadAllTargets } from '../targets/registry.ts';
import { serverSide } from '../targets/server-side.ts';
import type { Design } from '../targets/types.ts';
import { pack } from '../targets/shared/codec.ts';
import { scenarioFromYaml } from './helpers/audit.ts';
import { unsealedDesigns } from './helpers/designs.ts';
import { decodeEnvelope, describePath, DROP, encodeEnvelope, fieldsOf, LAYER, withField, type Path } from './helpers/envelope-fields.ts';
import { setUpWorld, text, type Harness } from './helpers/world.ts';

const targets = await loadAllTargets();

/** The built-in designs, and signal and libsignal with sealed sender off (their sessions' own parsing, reached directly). */
const designs: Record<string, Design> = { ...targets, ...Object.fromEntries(unsealedDesigns.map((d) => [d.name, d])) };

const scenario = scenarioFromYaml(`
name: malformed
users: { alice: [phone], bob: [phone], carol: [phone] }
groups:
  club: { admin: alice, members: [alice, bob, carol] }
steps:
  - send: { from: alice, to: bob }
`);

/** A world whose deliveries are held, and alice's first message to bob and first group message as bob's envelopes. */
async function heldConversation(design: string): Promise<{ harness: Harness; toBob: Envelope[] }> {
  const harness = await setUpWorld(designs[design]!, scenario);
  harness.holdDeliveries();
  await harness.send('alice.phone', 'bob', 'first', 'first contact');
  await harness.client('alice.phone').send({ id: 'group', to: { kind: 'group', group: 'club' }, body: new TextEncoder().encode('to the club') });
  return { harness, toBob: harness.held.splice(0).filter((e) => e.to === 'bob.phone') };
}

/** Deliver and return the coded rejection; fails the test on an open or on any other error. */
async function rejection(t: ExecutionContext, harness: Harness, envelope: Envelope): Promise<RejectionError | null> {
  try {
    const received = await harness.deliver(envelope);
    t.fail(`opened: ${received ? text(received.body) : 'a control message'}`);
  } catch (error) {
    if (RejectionError.is(error)) return error;
    t.fail(`not a coded rejection: ${String(error)}`);
  }
  return null;
}

function edited(envelope: Envelope, path: Path, change: (old: unknown) => unknown): Envelope {
  return encodeEnvelope(withField(decodeEnvelope(envelope), path, change));
}

const body = (...path: (string | number)[]): Path => ['body', LAYER, ...path];

for (const name of Object.keys(designs)) {
  test(`${name}: every field of a first message and a group message, dropped or cut short in turn, is a coded rejection, not a TypeError`, async (t) => {
    const { harness, toBob } = await heldConversation(name);
    const texts = new Set(['first contact', 'to the club']);
    const crashes: string[] = [];
    for (const original of toBob) {
      const tree = decodeEnvelope(original);
      for (const field of fieldsOf(tree).filter((f) => f.path[0] === 'body' && f.path.length > 1)) {
        const cuts: [string, (old: unknown) => unknown][] = [['drop', () => DROP]];
        if (field.kind === 'bytes' || field.kind === 'string') cuts.push(['cut short', (old) => (old as Uint8Array | string).slice(0, (old as Uint8Array | string).length >> 1)]);
        for (const [how, change] of cuts) {
          let envelope: Envelope;
          try {
            envelope = encodeEnvelope(withField(tree, field.path, change));
          } catch {
            continue; // an MLS field without which the message does not encode at all
          }
          try {
            const received = await harness.deliver(envelope);
            // A field the design does not need may go: then the message opens, as sent.
            if (received && (!texts.has(text(received.body)) || received.from !== 'alice.phone')) crashes.push(`${how} ${describePath(field.path)}: opened to a forgery`);
          } catch (error) {
            if (!RejectionError.is(error)) crashes.push(`${how} ${describePath(field.path)}: ${describeError(error)}`);
          }
        }
      }
      // Then the real one, so the next envelope meets the state it was sent for (an MLS member, not a stranger).
      await harness.deliver(original).catch((error: unknown) => {
        if (!RejectionError.is(error)) crashes.push(`the original: ${describeError(error)}`);
      });
    }
    t.true(toBob.length >= 2, 'a first message and a group message reached bob');
    t.deepEqual(crashes, []);
  });
}

function describeError(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

async function expectCode(t: ExecutionContext, harness: Harness, envelope: Envelope, code: RejectionCode, message?: RegExp): Promise<RejectionError | null> {
  const error = await rejection(t, harness, envelope);
  t.is(error?.code, code, error?.message);
  if (message) t.regex(error?.message ?? '', message);
  return error;
}

test('server-side: a delivery whose sealed box lost its ciphertext is a coded rejection, not a TypeError', async (t) => {
  const { harness, toBob } = await heldConversation('server-side');
  await expectCode(t, harness, edited(toBob[0]!, body('ciphertext'), () => DROP), 'malformed-message', /"sealed box.ciphertext" expected bytes, got undefined/);
  await expectCode(t, harness, edited(toBob[0]!, body('nonce'), (n) => (n as Uint8Array).slice(0, 5)), 'malformed-message', /"sealed box.nonce" expected 12 bytes, got 5 bytes/);
  // A sealed box that decodes but does not open: the cipher's refusal, as the coded rejection.
  await expectCode(t, harness, edited(toBob[0]!, body('ciphertext'), (c) => (c as Uint8Array).map((b, i) => (i === 0 ? b ^ 1 : b))), 'invalid-message', /authentication failed/);
});

test('server-side: the provider refuses an upload whose ephemeral key is cut short with a coded rejection, not a RangeError', async (t) => {
  const server = serverSide.createServer!({ rng: Rng.fromSeed(1, 'malformed upload'), crypto: cryptoBackend('node'), bundleOf: () => new Uint8Array(0) });
  const upload = pack({ ephemeral: new Uint8Array(9), kemCiphertext: null, nonce: new Uint8Array(12), ciphertext: new Uint8Array(40) });
  const error = await t.throwsAsync(server.acceptUpload({ from: 'alice.phone' as DeviceAddress, to: 'bob.phone' as DeviceAddress, body: upload }));
  t.true(RejectionError.is(error, 'malformed-message'), String(error));
  t.regex(error!.message, /"sealed box.ephemeral" expected 32 bytes, got 9 bytes/);
});

test('static-e2ee: a message whose ciphertext field is dropped is a coded rejection, not a TypeError', async (t) => {
  const { harness, toBob } = await heldConversation('static-e2ee');
  await expectCode(t, harness, edited(toBob[0]!, body('ciphertext'), () => DROP), 'malformed-message', /"static-e2ee message.ciphertext" expected bytes, got undefined/);
  await expectCode(t, harness, edited(toBob[0]!, body('nonce'), (n) => new Uint8Array([...(n as Uint8Array), 0])), 'malformed-message', /expected 12 bytes, got 13 bytes/);
  t.is(text((await harness.deliver(toBob[0]!))!.body), 'first contact');
});

test('signal: a truncated ratchet header is a coded rejection, not a TypeError', async (t) => {
  const { harness, toBob } = await heldConversation('signal-unsealed');
  await expectCode(t, harness, edited(toBob[0]!, body('message', 'header'), (h) => (h as Uint8Array).slice(0, 10)), 'malformed-message', /malformed ratchet header/);
  t.is(text((await harness.deliver(toBob[0]!))!.body), 'first contact');
});

test('signal: a first message whose prekey header lost its Kyber ciphertext is a coded rejection, not a TypeError', async (t) => {
  const { harness, toBob } = await heldConversation('signal-unsealed');
  await expectCode(t, harness, edited(toBob[0]!, body('prekey', 'kyberCiphertext'), () => DROP), 'malformed-message', /"prekey header.kyberCiphertext" expected bytes, got undefined/);
  await expectCode(t, harness, edited(toBob[0]!, body('prekey', 'kyberCiphertext'), (c) => (c as Uint8Array).slice(0, 1000)), 'malformed-message', /"prekey header.kyberCiphertext" expected 1088 bytes/);
  // An empty one is how X3DH alone sends it; a post-quantum responder takes it for a downgrade (PQXDH §3.4).
  await expectCode(t, harness, edited(toBob[0]!, body('prekey', 'kyberCiphertext'), () => new Uint8Array(0)), 'malformed-message', /without the ML-KEM ciphertext/);
  await expectCode(t, harness, edited(toBob[0]!, body('prekey', 'baseKey'), (k) => (k as Uint8Array).slice(0, 31)), 'malformed-message', /"prekey header.baseKey"/);
  await expectCode(t, harness, edited(toBob[0]!, body('prekey'), () => 7), 'malformed-message', /"prekey header" expected a map, got 7/);
  t.is(text((await harness.deliver(toBob[0]!))!.body), 'first contact');
});

test("signal: a group message whose sender key distribution lost its sender's signing key is a coded rejection, not a TypeError", async (t) => {
  const { harness, toBob } = await heldConversation('signal-unsealed');
  const group = toBob[1]!;
  const path = body('senderKey', 'distribution', LAYER, 'prekey', 'identity', 'signing');
  await expectCode(t, harness, edited(group, path, () => DROP), 'malformed-message', /"prekey header.identity.signing" expected 32 bytes, got undefined/);
  t.is(text((await harness.deliver(group))!.body), 'to the club');
});

test('signal: a message from a user the provider does not know is a coded rejection, not the provider\'s error', async (t) => {
  const { harness, toBob } = await heldConversation('signal-unsealed');
  await expectCode(t, harness, { ...toBob[0]!, from: 'mallory.phone' as DeviceAddress }, 'unknown-device', /no such user: mallory/);
});

test('escrow: an escrowed envelope without its signal message is a coded rejection', async (t) => {
  const { harness, toBob } = await heldConversation('escrow');
  await expectCode(t, harness, edited(toBob[0]!, body('message'), () => DROP), 'malformed-message', /malformed escrowed message/);
});

test("libsignal: a first message with its base key cut short is the library's refusal, as a coded rejection", async (t) => {
  const { harness, toBob } = await heldConversation('libsignal-unsealed');
  // PreKeySignalMessage field 2 is the base key (libsignal's wire.proto).
  const tree = decodeEnvelope(toBob[0]!);
  const fields = fieldsOf(tree).map((f) => f.path);
  const baseKey = fields.find((p) => describePath(p) === 'body.<decoded>.body.<decoded>.fields.1.value');
  t.truthy(baseKey);
  const error = await expectCode(t, harness, edited(toBob[0]!, baseKey!, (k) => (k as Uint8Array).slice(0, 20)), 'invalid-message', /bad key length/);
  t.true(error?.cause instanceof LibSignalErrorBase);
  t.is(text((await harness.deliver(toBob[0]!))!.body), 'first contact');
});

test("mls: an application message whose sender data was extended fails authentication as a coded rejection, not OpenSSL's bare error", async (t) => {
  const { harness, toBob } = await heldConversation('mls');
  // Bob joins from the Welcome first; then alice's application message.
  const at = toBob.findIndex((e) => isPrivateMessage(e));
  t.true(at > 0);
  for (const welcome of toBob.slice(0, at)) t.is(await harness.deliver(welcome), null);
  const application = toBob[at]!;
  const extended = edited(application, body('privateMessage', 'encryptedSenderData'), (d) => new Uint8Array([...(d as Uint8Array), 1, 2, 3]));
  await expectCode(t, harness, extended, 'invalid-message', /unable to authenticate|too short/);
  await expectCode(t, harness, { ...application, body: application.body.slice(0, 9) }, 'malformed-message');
  t.is(text((await harness.deliver(application))!.body), 'first contact');
});

function isPrivateMessage(envelope: Envelope): boolean {
  return fieldsOf(decodeEnvelope(envelope)).some((f) => describePath(f.path) === 'body.<decoded>.privateMessage');
}
