/**
 * The CI workflow `keyhole init` writes: the shard-and-merge recipe of the README as two
 * short jobs of the keyhole action (action.yml): a matrix of audit shards, then one job that
 * merges them, checks the policy, annotates the findings, writes the job summary and
 * comments on the pull request.
 */
import { POLICY_FILE } from './policy.ts';
import { yamlString } from './yaml-text.ts';

export const WORKFLOW_FILE = '.github/workflows/keyhole.yml';
/** Jobs the audit is split over. */
export const WORKFLOW_SHARDS = 4;

export interface WorkflowOptions {
  /** Where the action is (written as is): `./node_modules/keyhole` in a project that depends on keyhole, `./` in keyhole itself. */
  action: string;
  /** The audit's selection, as given to `keyhole init` (undefined: every target or adversary known). */
  targets?: string;
  adversaries?: string;
  /** Scenario files or folders (none: the built-in scenarios). */
  scenarios: readonly string[];
  seed: number;
  /** The config and plugins `keyhole init` was given: both jobs need them (merge, to know the plugins' claims). */
  config?: string;
  plugins?: readonly string[];
}

export function starterWorkflow(options: WorkflowOptions): string {
  const selection: string[] = [];
  if (options.targets !== undefined) selection.push(`          targets: ${yamlString(options.targets)}`);
  if (options.adversaries !== undefined) selection.push(`          adversaries: ${yamlString(options.adversaries)}`);
  const scenarios = options.scenarios.length > 0 ? [`          scenarios: ${yamlString(options.scenarios.join(' '))}`] : [];
  const catalogue: string[] = [];
  if (options.config !== undefined) catalogue.push(`          config: ${yamlString(options.config)}`);
  if (options.plugins && options.plugins.length > 0) catalogue.push(`          plugins: ${yamlString(options.plugins.join(' '))}`);
  const setup = [
    '      - uses: actions/checkout@v4',
    '      - uses: actions/setup-node@v4',
    '        with: { node-version: 20, cache: npm }',
    '      - run: npm ci',
  ];
  return [
    '# keyhole in CI, written by keyhole init: the audit in shards on a matrix of jobs, then one',
    '# job that merges them, checks keyhole-policy.yaml, annotates the findings, writes the job',
    '# summary and posts it on the pull request (one comment, updated in place).',
    `# To change the number of shards, change both the matrix and the n of shard: i/n.`,
    'name: keyhole',
    '',
    'on:',
    '  pull_request:',
    '  push:',
    '    branches: [main]',
    '',
    'permissions:',
    '  contents: read',
    '',
    'jobs:',
    '  audit:',
    '    runs-on: ubuntu-latest',
    '    strategy:',
    '      fail-fast: false',
    '      matrix:',
    `        shard: [${Array.from({ length: WORKFLOW_SHARDS }, (_, i) => i + 1).join(', ')}]`,
    '    steps:',
    ...setup,
    `      - uses: ${options.action}`,
    '        with:',
    `          shard: \${{ matrix.shard }}/${WORKFLOW_SHARDS}`,
    ...selection,
    ...scenarios,
    ...catalogue,
    `          seed: ${options.seed}`,
    '',
    '  report:',
    '    needs: audit',
    '    if: always()',
    '    runs-on: ubuntu-latest',
    '    permissions:',
    '      contents: read',
    '      pull-requests: write    # the summary as a pull-request comment',
    '      security-events: write  # report.sarif to code scanning',
    '    steps:',
    ...setup,
    `      - uses: ${options.action}`,
    '        with:',
    '          merge: true',
    `          policy: ${POLICY_FILE}`,
    ...scenarios,
    ...catalogue,
    '',
  ].join('\n');
}
