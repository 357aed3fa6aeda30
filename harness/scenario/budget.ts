/**
 * The work a scenario asks for, checked against its budget before anything is built from it:
 * the messages it sends in all (`MAX_SCENARIO_MESSAGES`, the sum of its steps' counts) and
 * the bytes of message text (`MAX_SCENARIO_TEXT_BYTES`, each `text` in UTF-8 times its
 * count). A 10 KB file of 200 steps of `count: 100000` asks for 20,000,000 messages; one
 * `count: 1000` with a 5 MB text for 5 GB of text. Each is refused at the step that goes over
 * the budget, before a single message id is made.
 */
import { MAX_SCENARIO_MESSAGES, MAX_SCENARIO_TEXT_BYTES } from '../limits.ts';
import type { Path } from '../input-file.ts';
import type { RawStep } from './schema.ts';

export interface BudgetProblem {
  path: Path;
  message: string;
}

/** The first step at which the scenario goes over each budget, if it does. */
export function budgetProblems(steps: readonly RawStep[]): BudgetProblem[] {
  const problems: BudgetProblem[] = [];
  let messages = 0;
  let textBytes = 0;
  let messagesOver = false;
  let textOver = false;
  steps.forEach((step, index) => {
    if (!('send' in step)) return;
    const count = step.send.count ?? 1;
    messages += count;
    if (!messagesOver && messages > MAX_SCENARIO_MESSAGES) {
      messagesOver = true;
      problems.push({
        path: ['steps', index, 'send', ...(step.send.count === undefined ? [] : ['count'])],
        message: `the scenario sends ${messages} messages by this step (each count included); at most ${MAX_SCENARIO_MESSAGES} messages in a scenario`,
      });
    }
    if (step.send.text === undefined) return;
    textBytes += Buffer.byteLength(step.send.text, 'utf8') * count;
    if (!textOver && textBytes > MAX_SCENARIO_TEXT_BYTES) {
      textOver = true;
      problems.push({
        path: ['steps', index, 'send', 'text'],
        message: `the scenario sends ${textBytes} bytes of message text by this step (each text in UTF-8 times its count); at most ${MAX_SCENARIO_TEXT_BYTES} bytes of text in a scenario`,
      });
    }
  });
  return problems;
}
