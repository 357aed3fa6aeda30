/** The live progress line: only at a terminal, rewritten in place, cleared at the end. */
import test from 'ava';

import { createProgress, progressWanted } from '../app/cli/progress.ts';

function fakeStream(columns = 80) {
  const writes: string[] = [];
  return { writes, stream: { isTTY: true, columns, write: (text: string) => writes.push(text) } };
}

const run = { target: 'signal', scenario: 'stolen-phone', adversary: 'stolen-device' };

test('a count rewritten in place and cleared at the end', (t) => {
  const { writes, stream } = fakeStream();
  const progress = createProgress(true, stream);
  progress.update(1, 36, run);
  progress.update(12, 36, run);
  progress.end();
  t.deepEqual(writes, [
    '\r\u001b[2Krun 1/36: signal · stolen-phone · stolen-device',
    '\r\u001b[2Krun 12/36: signal · stolen-phone · stolen-device',
    '\r\u001b[2K',
  ]);
});

test('a line wider than the terminal is cut, so that it does not wrap', (t) => {
  const { writes, stream } = fakeStream(30);
  createProgress(true, stream).update(12, 36, run);
  t.is(writes[0]!.replace('\r\u001b[2K', '').length, 29);
  t.true(writes[0]!.endsWith('…'));
});

test('names with control characters are shown escaped: the line holds no escape sequence but its own', (t) => {
  const { writes, stream } = fakeStream(200);
  createProgress(true, stream).update(1, 2, { ...run, scenario: 'x\u001b]0;pwned\u0007\u001b[2J\ny' });
  t.is(writes[0], '\r\u001b[2Krun 1/2: signal · x\\u001b]0;pwned\\u0007\\u001b[2J\\ny · stolen-device');
});

test('disabled: nothing at all', (t) => {
  const { writes, stream } = fakeStream();
  const progress = createProgress(false, stream);
  progress.update(1, 2, run);
  progress.end();
  t.deepEqual(writes, []);
});

test('wanted only at a terminal and without --quiet', (t) => {
  const tty = { isTTY: true };
  const pipe = { isTTY: false };
  t.true(progressWanted(undefined, tty, tty));
  t.false(progressWanted(true, tty, tty));
  t.false(progressWanted(undefined, pipe, tty));
  t.false(progressWanted(undefined, tty, pipe));
});
