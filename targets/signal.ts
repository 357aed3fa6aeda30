/**
 * `signal`: the reference messenger. PQXDH (X3DH + ML-KEM-768) and the Double Ratchet, a
 * session per device, device lists signed by their owner, safety numbers, secure deletion.
 */
import { SignalClient, type SignalOptions } from './signal/client.ts';
import { openSealedLayer, reconstructSignalDevice } from './signal/quantum.ts';
import type { Claim, ClientContext, Design } from './types.ts';

/** Everyone outside the conversation that does not take the provider over: none of them reads a message. */
const THIRD_PARTIES = ['network', 'server', 'traffic-analysis', 'quantum', 'escrow-agent', 'escrow-thief', 'removed-member', 'list-controller'];

export const SIGNAL_CLAIMS: readonly Claim[] = [
  { property: 'confidentiality', adversaries: THIRD_PARTIES },
  {
    property: 'confidentiality',
    adversaries: ['malicious-server'],
    scope: 'verified',
    note: 'verified messages only: trust on first use can be subverted at first contact',
  },
  { property: 'forward-secrecy', adversaries: ['stolen-device'] },
  { property: 'post-compromise-security', adversaries: ['stolen-device'] },
  { property: 'replay', adversaries: ['malicious-server'] },
  { property: 'membership', adversaries: ['malicious-server'] },
  { property: 'authentication', adversaries: ['malicious-server'], scope: 'verified', note: 'in verified conversations' },
  // Safety-number change notices (Signal support: "What is a safety number and why do I see
  // that it changed?") reach users who already knew the key; a key handed out at first
  // contact shows nothing until the users compare numbers.
  {
    property: 'detection',
    adversaries: ['malicious-server'],
    scope: 'verified',
    note: 'in verified conversations: a key substituted at first contact shows nothing until the users compare safety numbers',
  },
];

/**
 * As Signal has it since 2018 ("Technology preview: Sealed sender for Signal"): envelopes to
 * other users name only the recipient, and every message received is acknowledged with a
 * sealed delivery receipt.
 */
export const SIGNAL_OPTIONS: SignalOptions = { secureDelete: true, sealedSender: true };

/**
 * Sealed sender's claim (Signal, "Technology preview: Sealed sender for Signal", 2018): the
 * service that stores and delivers envelopes does not learn who sent them. `signal` and
 * `libsignal` make it; the designs built on `signal` keep envelopes that name their sender.
 * It covers what sealing can hide here:
 * - one-to-one conversations: the provider keeps each group's roster to route by (Signal's
 *   own groups hide theirs from the server; this model does not), and a group message goes
 *   to every member but its sender;
 * - senders with one device: a copy to the sender's other devices goes in the sender's name,
 *   in the same upload (Signal sends it over the sender's authenticated connection).
 * Statistical disclosure (`traffic-analysis`; Martiny et al., NDSS 2021) defeats it, as the
 * claim's source does not consider: it is not claimed against.
 */
export const SENDER_ANONYMITY_CLAIM: Claim = {
  property: 'sender-anonymity',
  adversaries: ['server'],
  conversations: 'one-to-one',
  senders: 'single-device',
  note: 'envelopes name no sender; traffic analysis is not claimed against',
};

export const signal: Design = {
  name: 'signal',
  description: 'the reference: PQXDH + Double Ratchet, signed device lists, safety numbers, secure deletion',
  claims: [...SIGNAL_CLAIMS, SENDER_ANONYMITY_CLAIM],
  createClient: (context: ClientContext) => new SignalClient(context, SIGNAL_OPTIONS),
  restoreClient: (context: ClientContext, image: Uint8Array) => new SignalClient(context, SIGNAL_OPTIONS).restore(image),
  reconstructDevice: (context, upload, privateKeyOf) => reconstructSignalDevice(new SignalClient(context, SIGNAL_OPTIONS), upload, privateKeyOf),
  openOuterLayer: openSealedLayer,
};
