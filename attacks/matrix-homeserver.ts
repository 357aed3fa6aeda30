/**
 * `malicious-server` strategies that only a Matrix homeserver has, tried on every design
 * whose clients are Matrix devices (`postInto`: a device of the server's own posts into any
 * room it names). The server's device is its ghost member's phone: a user of its own,
 * registered and cross-signed like every user, so nothing warns that it is unsigned.
 *
 * Matrix delivers a room's Megolm key over Olm to-device messages, and the homeserver
 * stamps the `sender` of both the to-device message and the room event (client-server API,
 * "Send-to-Device messaging" and "Syncing"); the library is what must hold the two together.
 * For each (sending device, receiving user) pair seen talking since the strike, in the
 * direct room of the two users:
 *
 * - `spoof-to-device`: its own device shares a Megolm session it made with the user's
 *   devices, and the server delivers that `m.room_key` to-device message stamped as from
 *   the other user's device, then an event in that session as from the same device
 *   (message id `forged-N-to-device`). The Olm plaintext names its true sender, so a library
 *   that compares the two refuses it.
 * - `forged-room-key`: the server's user first writes to the user in its own name (so the
 *   user's device knows its cross-signed device keys, `forged-N-introduction`, accepted as
 *   from a stranger), then a session of its own, its `m.room_key` delivered honestly as from
 *   the server's own device, and an event in it served with the other user as its `sender`
 *   (`forged-N-room-key`): a Megolm session the server made, claimed as that user's. A
 *   library that does not check the event's sender against the owner of the session shows
 *   the event as from that user (GHSA-x958-rvg6-956w, CVE-2025-48937: matrix-sdk-crypto
 *   0.8.0 to 0.11.0; fixed in 0.11.1 and 0.12.0, which mark it `MismatchedSender`).
 *
 * What the receiving app showed (its shield or decryption error) is the client's to record;
 * what it accepted, `authentication` judges.
 */
import type { OutgoingEnvelope } from '../harness/provider/api.ts';
import { splitAddress, type DeviceAddress } from '../harness/scenario/types.ts';
import type { Client, OutgoingMessage } from '../targets/types.ts';
import { unpack } from '../targets/shared/codec.ts';
import type { MatrixEnvelope } from '../targets/matrix/homeserver.ts';
import { directRoomId, UNNAMED_DEVICE } from '../targets/matrix/ids.ts';

/** A Matrix device of the server's own: it posts into the room it names, to the users it names. */
interface HomeserverDevice extends Client {
  postInto(roomId: string, users: readonly string[], message: OutgoingMessage): Promise<void>;
}

/** What the server's user says at first contact: its own message, in its own name. */
const INTRODUCTION = 'hello from the homeserver\'s own user';

/** The users each server device has written to already. */
const introductions = new WeakMap<Client, Set<string>>();

function isHomeserverDevice(client: Client): client is HomeserverDevice {
  return typeof (client as Partial<HomeserverDevice>).postInto === 'function';
}

/** What the malicious server lends these strategies. */
export interface HomeserverTools {
  /** Its own user's device (registered on first use), and what it uploads (captured, not delivered). */
  ghostMember(): Promise<{ client: Client; address: DeviceAddress; api: { outbox: OutgoingEnvelope[] } }>;
  /** Hand envelopes to a user's real devices, as if `from` had uploaded them. */
  inject(from: DeviceAddress, user: string, envelopes: OutgoingEnvelope[]): Promise<void>;
  /** Run one strategy step; a failure leaves the provider honest there, and the run says so. */
  attempt<T>(strategy: HomeserverStrategy, step: () => Promise<T>): Promise<T | null>;
  /** `via` put `about` (a device, a user) before the users: what detection counts as an alert about it. */
  footprint(about: string, via: HomeserverStrategy, shownTo: string): void;
  /** The forged message `id` is the work of `via`. */
  forged(id: string, via: HomeserverStrategy): void;
}

type HomeserverStrategy = 'spoof-to-device' | 'forged-room-key';

/** The Matrix strategies for one (sending device, receiving user) pair; `message` is the forgery's base (its id `forged-N`). */
export async function homeserverForgeries(tools: HomeserverTools, from: DeviceAddress, user: string, message: OutgoingMessage): Promise<void> {
  const ghost = await tools.ghostMember().catch(() => null);
  if (!ghost || !isHomeserverDevice(ghost.client)) return;
  const device = ghost.client;
  const claimed = splitAddress(from).user;
  if (claimed === user) return;
  const room = directRoomId(claimed, user);

  /** The server's device posts `id` into the pair's room; what it uploaded, split into key shares and the event. */
  const post = async (id: string) => {
    ghost.api.outbox.length = 0;
    await device.postInto(room, [user], { ...message, id, body: new TextEncoder().encode(`${new TextDecoder().decode(message.body)} (${id})`) });
    const sent = ghost.api.outbox.splice(0);
    const kind = (envelope: OutgoingEnvelope) => unpack<MatrixEnvelope>(envelope.body, 'Matrix event').kind;
    return { toDevice: sent.filter((e) => kind(e) === 'to-device'), events: sent.filter((e) => kind(e) === 'room') };
  };

  /** What the apps show of `via`'s forgery `id`: the server's own user, the user it claims, and the device the app names for an event in a session none of that user's devices made. */
  const mark = (id: string, via: HomeserverStrategy) => {
    for (const about of [splitAddress(ghost.address).user, claimed, `${claimed}.${UNNAMED_DEVICE}`]) tools.footprint(about, via, user);
    tools.forged(id, via);
  };
  await tools.attempt('spoof-to-device', async () => {
    const { toDevice, events } = await post(`${message.id}-to-device`);
    await tools.inject(from, user, toDevice);
    await tools.inject(from, user, events);
    mark(`${message.id}-to-device`, 'spoof-to-device');
  });
  await tools.attempt('forged-room-key', async () => {
    // First contact, as convincing as the protocol allows: the server's user writes to the
    // user in their own direct room, so the user's device tracks it and holds its
    // cross-signed device keys when the room key comes.
    const introduced = introductions.get(device) ?? new Set<string>();
    introductions.set(device, introduced);
    if (!introduced.has(user)) {
      introduced.add(user);
      ghost.api.outbox.length = 0;
      await device.postInto(directRoomId(splitAddress(ghost.address).user, user), [user], { ...message, id: `${message.id}-introduction`, body: new TextEncoder().encode(INTRODUCTION) });
      await tools.inject(ghost.address, user, ghost.api.outbox.splice(0));
    }
    const { toDevice, events } = await post(`${message.id}-room-key`);
    await tools.inject(ghost.address, user, toDevice);
    await tools.inject(from, user, events);
    mark(`${message.id}-room-key`, 'forged-room-key');
  });
}
