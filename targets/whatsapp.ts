/**
 * `whatsapp`: a model of WhatsApp's published design (WhatsApp Encryption Overview, technical
 * white paper, version 8, August 2024; its multi-device groups as Albrecht, Dowling and
 * Jones analyse them, "Formal Analysis of Multi-Device Group Messaging in WhatsApp",
 * Eurocrypt 2025). The reference's code with its differences: X3DH without a post-quantum
 * KEM, and group participants managed by the server, shown to the users when they change.
 *
 * Its claims are the white paper's: only the sender and the recipients read a message, not
 * WhatsApp and not a third party ("Messaging Security"), with keys only the participants'
 * devices hold ("Defining End-to-End Encryption"); a compromised key does not open earlier
 * messages, and the ratchet recovers ("Exchanging Messages"); users who compare security
 * codes know whom they talk to ("Verifying Keys"). It names no post-quantum protection, and
 * an adversary who computes those keys from their public halves is outside what it claims:
 * a recording opened later by a quantum computer is a breach the report shows, unclaimed.
 * It claims nothing about who is in a group beyond the server's word.
 */
import { reconstructSignalDevice } from './signal/quantum.ts';
import type { Claim, ClientContext, Design } from './types.ts';
import { WhatsAppClient } from './whatsapp/client.ts';

/** The reference's third parties, but `quantum`: the white paper claims nothing against a discrete-log oracle. */
const THIRD_PARTIES = ['network', 'server', 'traffic-analysis', 'escrow-agent', 'escrow-thief', 'removed-member', 'list-controller'];

export const WHATSAPP_CLAIMS: readonly Claim[] = [
  { property: 'confidentiality', adversaries: THIRD_PARTIES },
  {
    property: 'confidentiality',
    adversaries: ['malicious-server'],
    scope: 'verified',
    conversations: 'one-to-one',
    note: 'verified chats: security codes cover a contact, not who the server puts in a group',
  },
  { property: 'forward-secrecy', adversaries: ['stolen-device'] },
  { property: 'post-compromise-security', adversaries: ['stolen-device'] },
  { property: 'replay', adversaries: ['malicious-server'] },
  { property: 'authentication', adversaries: ['malicious-server'], scope: 'verified', conversations: 'one-to-one', note: 'in verified chats' },
  // Security code change notifications (WhatsApp Encryption Overview, "Verifying Keys"): a
  // contact whose code the user had compared shows the change; a key the server hands out at
  // first contact shows nothing until the users compare codes, and group membership changes
  // are notices the server decides on.
  {
    property: 'detection',
    adversaries: ['malicious-server'],
    scope: 'verified',
    conversations: 'one-to-one',
    note: 'in verified chats: a key substituted at first contact shows nothing until the users compare security codes',
  },
];

export const whatsapp: Design = {
  name: 'whatsapp',
  description: "a model of WhatsApp's published design: X3DH without a post-quantum KEM, Double Ratchet, signed companion devices, server-managed groups shown on change",
  claims: WHATSAPP_CLAIMS,
  createClient: (context: ClientContext) => new WhatsAppClient(context),
  restoreClient: (context: ClientContext, image: Uint8Array) => new WhatsAppClient(context).restore(image),
  reconstructDevice: (context, upload, privateKeyOf) => reconstructSignalDevice(new WhatsAppClient(context), upload, privateKeyOf),
};
