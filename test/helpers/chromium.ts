/**
 * The browser that the html browser test (`test/html-browser.test.ts`) drives through
 * playwright-core, which brings no browser of its own. In this order:
 *
 * 1. `KEYHOLE_CHROMIUM`, when set: that file, or a one-line error (never another browser);
 * 2. a Chromium or Chrome at its usual place on Linux, macOS or Windows;
 * 3. on Linux with apt-get, as root or with sudo that asks no password: Debian's `chromium`,
 *    installed by `.ci/install-chromium.sh` (the script CI runs), saying so first;
 * 4. otherwise a one-line error saying how to get one.
 *
 * `npm test` runs `provide-chromium.ts` before the tests, so a fresh machine gets its browser
 * before ava starts; the browser test calls `provideChromium` itself too, for `npx ava` alone.
 * Everything the machine is asked goes through a `ChromiumHost`, so tests can stand in for it.
 */
import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** Names the browser to use, overriding every usual place. */
export const CHROMIUM_ENV = 'KEYHOLE_CHROMIUM';
/** The apt part: installs Debian's chromium at /usr/bin/chromium (with sudo when not root). */
export const INSTALL_SCRIPT = fileURLToPath(new URL('../../.ci/install-chromium.sh', import.meta.url));

const HOW_TO_GET_ONE =
  `install Chromium or Chrome (Debian or Ubuntu: \`sudo apt-get install -y chromium\`, or \`sudo bash .ci/install-chromium.sh\`) ` +
  `or set ${CHROMIUM_ENV} to a browser's path`;

/** What `provideChromium` asks of the machine. */
export interface ChromiumHost {
  env: Readonly<Record<string, string | undefined>>;
  platform: NodeJS.Platform;
  /** The user id, or null where there is none (Windows). */
  uid: number | null;
  /** Whether `path` is a file this user may run. */
  isExecutable(path: string): boolean;
  /** Whether a command of that name is on the PATH. */
  hasCommand(name: string): boolean;
  /** Whether `sudo` runs without asking for a password. */
  sudoWithoutPassword(): boolean;
  /** Runs the install script; its exit status. */
  runInstallScript(): number;
  /** Tells the user what is being done. */
  say(line: string): void;
}

/** The browser is missing and cannot be installed here; the message is one line. */
export class ChromiumMissingError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ChromiumMissingError';
  }
}

/** Where Chromium and Chrome are usually installed on `platform`, most likely first. */
export function usualChromiumPaths(platform: NodeJS.Platform, env: ChromiumHost['env']): string[] {
  switch (platform) {
    case 'darwin':
      return [
        '/Applications/Chromium.app/Contents/MacOS/Chromium',
        '/Applications/Google Chrome.app/Contents/MacOS/Google Chrome',
        '/Applications/Google Chrome for Testing.app/Contents/MacOS/Google Chrome for Testing',
      ];
    case 'win32':
      return [env['PROGRAMFILES'], env['PROGRAMFILES(X86)'], env['LOCALAPPDATA']]
        .filter((folder): folder is string => folder !== undefined && folder !== '')
        .flatMap((folder) => [`${folder}\\Chromium\\Application\\chrome.exe`, `${folder}\\Google\\Chrome\\Application\\chrome.exe`]);
    default:
      return [
        '/usr/bin/chromium',
        '/usr/bin/chromium-browser',
        '/usr/bin/google-chrome',
        '/usr/bin/google-chrome-stable',
        '/opt/google/chrome/chrome',
        '/snap/bin/chromium',
      ];
  }
}

/** The browser `KEYHOLE_CHROMIUM` names or the first one at a usual place; null when there is none. */
export function findChromium(host: ChromiumHost): string | null {
  const named = host.env[CHROMIUM_ENV];
  if (named !== undefined && named !== '') {
    if (!host.isExecutable(named)) {
      throw new ChromiumMissingError(`${CHROMIUM_ENV} is set to ${named}, which is not a program this user can run; ${HOW_TO_GET_ONE}`);
    }
    return named;
  }
  return usualChromiumPaths(host.platform, host.env).find((path) => host.isExecutable(path)) ?? null;
}

/** The path of a browser for the html browser test, installing Debian's chromium when the user may. */
export function provideChromium(host: ChromiumHost = thisMachine()): string {
  const found = findChromium(host);
  if (found !== null) return found;
  const canInstall =
    host.platform === 'linux' && host.hasCommand('apt-get') && (host.uid === 0 || (host.hasCommand('sudo') && host.sudoWithoutPassword()));
  if (!canInstall) {
    throw new ChromiumMissingError(`the html browser test needs Chromium or Chrome and this machine has neither: ${HOW_TO_GET_ONE}`);
  }
  host.say(
    `keyhole tests: no Chromium or Chrome found; installing Debian's chromium with apt-get${host.uid === 0 ? '' : ' (through sudo)'} (bash .ci/install-chromium.sh), for the html browser test`,
  );
  const status = host.runInstallScript();
  const installed = findChromium(host);
  if (status !== 0 || installed === null) {
    throw new ChromiumMissingError(`installing chromium with apt-get failed (exit ${status}; see its output above): ${HOW_TO_GET_ONE}`);
  }
  host.say(`keyhole tests: chromium installed at ${installed}`);
  return installed;
}

/** This machine, as `provideChromium` asks it. */
export function thisMachine(): ChromiumHost {
  return {
    env: process.env,
    platform: process.platform,
    uid: typeof process.getuid === 'function' ? process.getuid() : null,
    isExecutable(path) {
      try {
        accessSync(path, constants.X_OK);
        return statSync(path).isFile();
      } catch {
        return false;
      }
    },
    hasCommand(name) {
      return (process.env['PATH'] ?? '').split(delimiter).some((folder) => folder !== '' && this.isExecutable(join(folder, name)));
    },
    sudoWithoutPassword() {
      return spawnSync('sudo', ['-n', 'true'], { stdio: 'ignore' }).status === 0;
    },
    runInstallScript() {
      // The script's own output (apt-get's) goes to stderr, so that stdout stays the tests'.
      return spawnSync('bash', [INSTALL_SCRIPT], { stdio: ['ignore', process.stderr, process.stderr] }).status ?? 1;
    },
    say(line) {
      process.stderr.write(`${line}\n`);
    },
  };
}
