/**
 * What a network tap learns of senders: every upload crosses the network on the connection
 * of the device that sends it (the wire's `device`, its address on the network), whatever
 * the envelopes inside say. Sealed sender hides the sender from the provider's envelope, not
 * from whoever watches the sender's connection (Signal's own announcement of sealed sender
 * leaves the network out of its scope: the connection's address is outside what it hides).
 */
import type { OutgoingEnvelope } from '../../harness/provider/api.ts';
import { decodeWire } from '../../harness/provider/wire.ts';
import { splitAddress } from '../../harness/scenario/types.ts';
import type { AdversaryView, SenderLink } from '../types.ts';

/** One link per upload to another user, naming the user whose device's connection carried it (`via: connection`). */
export function connectionLinks(view: AdversaryView): SenderLink[] {
  const links: SenderLink[] = [];
  // Messages seen so far per recipient, as `SenderLink.after` counts them.
  const seen = new Map<string, number>();
  for (const record of view.wire) {
    if (record.direction !== 'up' || record.op !== 'send') continue;
    const sender = splitAddress(record.device).user;
    const envelopes = decodeWire<OutgoingEnvelope[]>(record.bytes);
    const recipient = envelopes.map((e) => splitAddress(e.to).user).find((user) => user !== sender);
    if (recipient === undefined) continue; // copies to the sender's own devices only
    const after = (seen.get(recipient) ?? 0) + 1;
    seen.set(recipient, after);
    links.push({ wire: record.seq, sender, via: 'connection', after });
  }
  return links;
}
