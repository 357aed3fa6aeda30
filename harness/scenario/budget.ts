/**
 * The work a scenario asks for, checked against its budget before anything is built from it:
 * the messages it sends in all (`MAX_SCENARIO_MESSAGES`, the sum of its steps' counts), the
 * bytes of message text (`MAX_SCENARIO_TEXT_BYTES`, each `text` in UTF-8 times its count)
 * and its devices (`MAX_SCENARIO_DEVICES`). A 10 KB file of 200 steps of `count: 100000`
 * asks for 20,000,000 messages; one `count: 1000` with a 5 MB text for 5 GB of text. Each is
 * refused at the place that goes over the budget, before a single message id is made.
 *
 * The copies delivered (`MAX_SCENARIO_DELIVERIES`) depend on who is a member of which group
 * at each step, so the loader's checker counts them as it goes (`deliveriesProblem`).
 */
import { MAX_SCENARIO_DELIVERIES, MAX_SCENARIO_DEVICES, MAX_SCENARIO_MESSAGES, MAX_SCENARIO_TEXT_BYTES } from '../limits.ts';
import type { Path } from '../input/index.ts';
import type { RawScenario } from './schema.ts';

export interface BudgetProblem {
  path: Path;
  message: string;
}

/** The first place at which the scenario goes over each budget, if it does. */
export function budgetProblems(scenario: Pick<RawScenario, 'users' | 'steps'>): BudgetProblem[] {
  const problems: BudgetProblem[] = [];
  const devicesProblem = (devices: number, path: Path) => ({
    path,
    message: `the scenario has ${devices} devices by here (its users' and the ones it links); at most ${MAX_SCENARIO_DEVICES} devices in a scenario`,
  });
  let devices = 0;
  for (const [user, names] of Object.entries(scenario.users)) {
    devices += names.length;
    if (devices > MAX_SCENARIO_DEVICES) {
      problems.push(devicesProblem(devices, ['users', user]));
      break;
    }
  }
  const steps = scenario.steps;
  let messages = 0;
  let textBytes = 0;
  let messagesOver = false;
  let textOver = false;
  steps.forEach((step, index) => {
    if ('link-device' in step && devices <= MAX_SCENARIO_DEVICES && ++devices > MAX_SCENARIO_DEVICES) {
      problems.push(devicesProblem(devices, ['steps', index, 'link-device']));
    }
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

/**
 * The problem of a send that brings the copies delivered over `MAX_SCENARIO_DELIVERIES`
 * (`total`, this step's included), if it does; `copies`: this step's.
 */
export function deliveriesProblem(total: number, copies: number): string | undefined {
  if (total <= MAX_SCENARIO_DELIVERIES || total - copies > MAX_SCENARIO_DELIVERIES) return undefined;
  return `the scenario delivers ${total} copies of messages by this step (each message to each device it goes to); at most ${MAX_SCENARIO_DELIVERIES} in a scenario`;
}
