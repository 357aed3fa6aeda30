/** The device's message history is a real SQLite file: deleted rows stay in it unless deleted securely. */
import test from 'ava';
import { findMarkers } from '../harness/markers.ts';
import { MessageHistory } from '../targets/shared/history.ts';

async function fileAfterDeleting(secureDelete: boolean): Promise<Uint8Array> {
  const history = await MessageHistory.open({ secureDelete });
  for (let i = 0; i < 6; i++) {
    history.add({ id: `m${i}`, direction: 'in', conversation: 'bob', sender: 'bob.phone', body: new TextEncoder().encode(`secret ${i} [kh-${String(i).repeat(16)}]`), at: i });
  }
  history.delete(['m1', 'm4']);
  return history.exportFile();
}

test('without secure_delete, deleted messages remain in the database file', async (t) => {
  const markers = findMarkers(await fileAfterDeleting(false));
  t.true(markers.includes(`kh-${'1'.repeat(16)}`));
  t.true(markers.includes(`kh-${'4'.repeat(16)}`));
});

test('with secure_delete, deleted messages are gone from the file and the rest remain', async (t) => {
  const markers = findMarkers(await fileAfterDeleting(true));
  t.false(markers.includes(`kh-${'1'.repeat(16)}`));
  t.false(markers.includes(`kh-${'4'.repeat(16)}`));
  t.true(markers.includes(`kh-${'0'.repeat(16)}`));
});

test('a history restored from its file lists the same messages', async (t) => {
  const file = await fileAfterDeleting(true);
  const restored = await MessageHistory.open({ secureDelete: true }, file);
  t.deepEqual(restored.list().map((e) => e.id), ['m0', 'm2', 'm3', 'm5']);
});

test('messages written in batches give the same file, byte for byte, as one transaction each', async (t) => {
  const build = async (eachOnItsOwn: boolean) => {
    const history = await MessageHistory.open({ secureDelete: false });
    for (let i = 0; i < 300; i++) {
      const body = new Uint8Array(40 + ((i * 37) % 900)).fill(i % 251);
      history.add({ id: `m${i % 290}`, direction: i % 2 ? 'in' : 'out', conversation: 'bob', sender: 'bob.phone', body, at: i });
      // A lookup writes what is pending: each insert becomes its own transaction.
      if (eachOnItsOwn) history.has('nothing');
      if (i % 97 === 96) history.delete([`m${i - 50}`]);
    }
    return history.exportFile();
  };
  const batched = await build(false);
  t.true(batched.length > 100_000);
  t.deepEqual(batched, await build(true));
});
