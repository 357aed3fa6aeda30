/**
 * How `npm test` gets the browser of the html browser test on a machine that may have none:
 * the machine is a stand-in (`ChromiumHost`), so every branch runs here whatever this machine
 * has; `npm test` itself takes the real one.
 */
import test from 'ava';

import { CHROMIUM_ENV, ChromiumMissingError, provideChromium, type ChromiumHost } from './helpers/chromium.ts';

interface FakeMachine {
  platform?: NodeJS.Platform;
  uid?: number | null;
  env?: Record<string, string>;
  /** Executable files. */
  files?: string[];
  commands?: string[];
  sudoWithoutPassword?: boolean;
  /** What the install script puts in place, and its exit status. */
  install?: { installs: string | null; status: number };
}

function machine(options: FakeMachine): ChromiumHost & { said: string[]; installs: number } {
  const files = new Set(options.files ?? []);
  const host = {
    said: [] as string[],
    installs: 0,
    env: options.env ?? {},
    platform: options.platform ?? 'linux',
    uid: options.uid === undefined ? 1000 : options.uid,
    isExecutable: (path: string) => files.has(path),
    hasCommand: (name: string) => (options.commands ?? []).includes(name),
    sudoWithoutPassword: () => options.sudoWithoutPassword ?? false,
    runInstallScript: () => {
      host.installs++;
      if (options.install?.installs) files.add(options.install.installs);
      return options.install?.status ?? 1;
    },
    say: (line: string) => host.said.push(line),
  };
  return host;
}

function refusal(t: import('ava').ExecutionContext, host: ChromiumHost): string {
  const error = t.throws(() => provideChromium(host), { instanceOf: ChromiumMissingError });
  t.false(error!.message.includes('\n'), 'one line');
  return error!.message;
}

test('a machine with Debian chromium uses it and installs nothing', (t) => {
  const host = machine({ files: ['/usr/bin/chromium', '/usr/bin/google-chrome'], uid: 0, commands: ['apt-get'] });
  t.is(provideChromium(host), '/usr/bin/chromium');
  t.is(host.installs, 0);
  t.deepEqual(host.said, []);
});

test('Chrome at its usual place is used on Linux, macOS and Windows', (t) => {
  t.is(provideChromium(machine({ files: ['/opt/google/chrome/chrome'] })), '/opt/google/chrome/chrome');
  const mac = '/Applications/Google Chrome.app/Contents/MacOS/Google Chrome';
  t.is(provideChromium(machine({ platform: 'darwin', files: [mac] })), mac);
  const windows = 'C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe';
  t.is(provideChromium(machine({ platform: 'win32', uid: null, env: { PROGRAMFILES: 'C:\\Program Files' }, files: [windows] })), windows);
});

test(`${CHROMIUM_ENV} names the browser, ahead of the usual places`, (t) => {
  const host = machine({ env: { [CHROMIUM_ENV]: '/home/me/chrome-linux/chrome' }, files: ['/home/me/chrome-linux/chrome', '/usr/bin/chromium'] });
  t.is(provideChromium(host), '/home/me/chrome-linux/chrome');
});

test(`a ${CHROMIUM_ENV} naming no browser is refused in one line, not replaced by another browser`, (t) => {
  const host = machine({ env: { [CHROMIUM_ENV]: '/nowhere/chrome' }, files: ['/usr/bin/chromium'], uid: 0, commands: ['apt-get'] });
  t.regex(refusal(t, host), /^KEYHOLE_CHROMIUM is set to \/nowhere\/chrome, which is not a program this user can run; install Chromium or Chrome/);
  t.is(host.installs, 0);
});

test('a fresh machine, as root with apt-get: Debian chromium is installed, saying so', (t) => {
  const host = machine({ uid: 0, commands: ['apt-get'], install: { installs: '/usr/bin/chromium', status: 0 } });
  t.is(provideChromium(host), '/usr/bin/chromium');
  t.is(host.installs, 1);
  t.regex(host.said[0]!, /no Chromium or Chrome found; installing Debian's chromium with apt-get \(bash \.ci\/install-chromium\.sh\)/);
  t.regex(host.said[1]!, /chromium installed at \/usr\/bin\/chromium/);
});

test('a fresh machine, with sudo that asks no password and apt-get: installed through sudo', (t) => {
  const host = machine({ uid: 1000, commands: ['apt-get', 'sudo'], sudoWithoutPassword: true, install: { installs: '/usr/bin/chromium', status: 0 } });
  t.is(provideChromium(host), '/usr/bin/chromium');
  t.is(host.installs, 1);
  t.regex(host.said[0]!, /with apt-get \(through sudo\)/);
});

test('a fresh machine without root or sudo: one line saying how to get a browser, nothing installed', (t) => {
  for (const host of [
    machine({ uid: 1000, commands: ['apt-get'] }),
    machine({ uid: 1000, commands: ['apt-get', 'sudo'], sudoWithoutPassword: false }),
    machine({ uid: 0, commands: [] }),
    machine({ platform: 'darwin', uid: 0, commands: ['apt-get'] }),
  ]) {
    const message = refusal(t, host);
    t.regex(message, /^the html browser test needs Chromium or Chrome and this machine has neither: install Chromium or Chrome \(Debian or Ubuntu: `sudo apt-get install -y chromium`/);
    t.regex(message, /or set KEYHOLE_CHROMIUM to a browser's path$/);
    t.is(host.installs, 0);
  }
});

test('an install that fails, or leaves no browser, fails in one line', (t) => {
  for (const install of [{ installs: null, status: 100 }, { installs: null, status: 0 }]) {
    const host = machine({ uid: 0, commands: ['apt-get'], install });
    t.regex(refusal(t, host), new RegExp(`^installing chromium with apt-get failed \\(exit ${install.status}; see its output above\\)`));
    t.is(host.installs, 1);
  }
});
