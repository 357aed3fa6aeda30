/**
 * Opens the html reporter's index.html in headless Chromium (the machine's Chromium or Chrome,
 * or Debian's `chromium` installed for it: see `helpers/chromium.ts`; driven by playwright-core)
 * and checks what a reader sees: the heat map, a run's timeline, the legend, and that no
 * script hidden in report text runs.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

import test from 'ava';
import { chromium, type Browser, type Page } from 'playwright-core';

import { PROPERTY_NAMES } from '../harness/report/types.ts';
import { htmlReporter } from '../reports/html.ts';
import { ALERT_PAYLOAD, ERROR_TEXT, PIPE_ID, PROBE_PAYLOAD, TICK_ID, reportWithLeaks } from './fixtures/report-with-leaks.ts';
import { provideChromium } from './helpers/chromium.ts';

const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

let browser: Browser;
let outDir: string;
let url: string;

test.before(async () => {
  const executablePath = provideChromium();
  outDir = mkdtempSync(join(tmpdir(), 'keyhole-html-'));
  const path = await htmlReporter.create({ outDir, stdout: process.stdout, color: false }).onEnd(reportWithLeaks());
  if (path === null) throw new Error('the html reporter wrote no file');
  url = pathToFileURL(path).href;
  browser = await chromium.launch({ executablePath, headless: true, args: ARGS });
});

test.after.always(async () => {
  await browser?.close();
  if (outDir) rmSync(outDir, { recursive: true, force: true });
});

interface Opened {
  page: Page;
  dialogs: string[];
  consoleErrors: string[];
  requests: string[];
}

async function open(): Promise<Opened> {
  const page = await browser.newPage();
  const opened: Opened = { page, dialogs: [], consoleErrors: [], requests: [] };
  page.on('dialog', (dialog) => {
    opened.dialogs.push(`${dialog.type()}: ${dialog.message()}`);
    void dialog.dismiss();
  });
  page.on('console', (message) => {
    if (message.type() === 'error') opened.consoleErrors.push(message.text());
  });
  page.on('pageerror', (error) => opened.consoleErrors.push(String(error)));
  page.on('request', (request) => opened.requests.push(request.url()));
  await page.goto(url, { waitUntil: 'load' });
  return opened;
}

/**
 * The few DOM shapes the page functions below use: the project compiles without the DOM lib,
 * and these functions run in the page, not in Node.
 */
interface PageElement {
  innerText: string;
  open: boolean;
  children: ArrayLike<PageElement>;
}
interface PageStyle {
  backgroundColor: string;
  outlineStyle: string;
  outlineWidth: string;
  outlineColor: string;
}
declare function getComputedStyle(element: unknown): PageStyle;
declare const document: {
  getElementById(id: string): unknown;
  querySelectorAll(selector: string): ArrayLike<{ attributes: ArrayLike<{ name: string }> }>;
};
declare const window: { __xss?: unknown };

const squash = (text: string) => text.replace(/\s+/g, ' ').trim();

function rgb(colour: string): [number, number, number] {
  const parts = colour.match(/\d+(\.\d+)?/g)?.map(Number) ?? [];
  if (parts.length < 3) throw new Error(`not an rgb colour: ${colour}`);
  return [parts[0]!, parts[1]!, parts[2]!];
}

test('the heat map shows breaches/total with the exposed apart, n/a, errors and violated claims, coloured by what was claimed', async (t) => {
  const { page } = await open();
  try {
    t.is(await page.title(), 'keyhole report');
    t.is(squash(await page.locator('#verdict').innerText()), '✗ 2 violated claims, 1 failed run');
    const heat = page.locator('#matrix table.heat');
    t.true(await heat.isVisible());
    t.deepEqual(await heat.locator('thead th').allInnerTexts(), ['target \\ adversary', 'network', 'stolen-device']);
    const rows = await heat.locator('tbody tr').evaluateAll((trs) =>
      trs.map((tr) => [...tr.children].map((cell) => (cell as unknown as PageElement).innerText.replace(/\s+/g, ' ').trim())),
    );
    t.deepEqual(rows, [
      ['signal', '0/7', 'n/a'],
      ['escrow', '0/4 ⚠ 1 error', '3/9 +3 exposed ✗ fs, pcs'],
    ]);

    const clean = heat.locator('tbody tr').nth(0).locator('td').nth(0);
    const leaky = heat.locator('tbody tr').nth(1).locator('td').nth(1);
    const [cr, cg] = rgb(await clean.evaluate((el) => getComputedStyle(el).backgroundColor));
    const [lr, lg] = rgb(await leaky.evaluate((el) => getComputedStyle(el).backgroundColor));
    t.true(cg > cr, 'nothing leaked: green');
    t.true(lr > lg, 'a broken claim: red');
    const outline = await leaky.evaluate((el) => ({ style: getComputedStyle(el).outlineStyle, width: getComputedStyle(el).outlineWidth, colour: getComputedStyle(el).outlineColor }));
    t.deepEqual(outline, { style: 'solid', width: '3px', colour: 'rgb(198, 40, 40)' }, 'violated claims are framed');
    t.true(await leaky.locator('.broken').isVisible());
  } finally {
    await page.close();
  }
});

test('a run shows its conversation as chips in step order, with the strike point and marks', async (t) => {
  const { page } = await open();
  try {
    const run = page.locator('#run-5');
    t.true(await run.evaluate((el) => (el as unknown as PageElement).open), 'a run with violated claims is open');
    t.is(squash(await run.locator('summary').innerText()), 'stolen-phone · stolen-device 5/6 leaked ✗ forward-secrecy ✗ post-compromise-security');
    const items = run.locator('ol.timeline > li');
    const texts = await items.evaluateAll((lis) => lis.map((li) => `${li.className}: ${li.querySelector('.id')?.textContent ?? li.textContent}`));
    t.deepEqual(texts, [
      `chip c-before leaked: ${ALERT_PAYLOAD}`,
      `chip c-exposed leaked: ${PIPE_ID}`,
      `chip c-exposed leaked verified: ${TICK_ID}`,
      'mark: ⚑ seizure',
      'strike: ⚡ strike · step 3',
      `chip c-after leaked: ${PROBE_PAYLOAD}`,
      'chip c-after leaked: m6',
      'chip c-after safe undelivered: m7',
    ]);
    for (let i = 0; i < 8; i++) t.true(await items.nth(i).isVisible(), `timeline item ${i} is visible`);

    const first = items.nth(0);
    t.is(
      await first.getAttribute('title'),
      `${ALERT_PAYLOAD} · alice.phone → bob · step 0 · before · delivered · not verified · leaked via escrow`,
      'via on hover',
    );
    t.is(await first.locator('.via').innerText(), 'escrow');
    t.is(await items.nth(7).getAttribute('title'), 'm7 · alice.phone → bob · step 6 · after · not delivered · not verified · not leaked');
    const leakedBg = await items.nth(6).evaluate((el) => getComputedStyle(el).backgroundColor);
    const safeBg = await items.nth(7).evaluate((el) => getComputedStyle(el).backgroundColor);
    const beforeBg = await items.nth(0).evaluate((el) => getComputedStyle(el).backgroundColor);
    t.not(leakedBg, safeBg, 'leaked chips are filled');
    t.not(leakedBg, beforeBg, 'classes have their own colours');

    const properties = await run.locator('table.props tbody tr').evaluateAll((trs) =>
      trs.map((tr) => [...tr.children].map((cell) => (cell as unknown as PageElement).innerText.replace(/\s+/g, ' ').trim())),
    );
    t.is(properties.length, PROPERTY_NAMES.length);
    t.deepEqual(properties[1]!.slice(0, 3), ['forward-secrecy', '✗ violated', 'claimed']);
    t.true(properties[1]![3]!.startsWith(`1 before message leaked: ${ALERT_PAYLOAD} via escrow | see \`escrow\``));
    t.deepEqual(properties[2]!.slice(0, 3), ['post-compromise-security', '✗ violated', 'claimed']);
    t.is(properties[2]![4], 'never healed');
    t.regex(await run.locator('.notes').innerText(), /note with <img src=x onerror="window.__xss=1"> and `code`/);

    const failed = page.locator('#run-6');
    t.true(await failed.evaluate((el) => (el as unknown as PageElement).open), 'a failed run is open');
    t.is(await failed.locator('p.run-error').innerText(), ERROR_TEXT);
  } finally {
    await page.close();
  }
});

test('a heat-map cell opens the run it points at', async (t) => {
  const { page, consoleErrors } = await open();
  try {
    const run = page.locator('#run-0');
    t.false(await run.evaluate((el) => (el as unknown as PageElement).open), 'runs without findings start closed');
    t.false(await run.locator('ol.timeline > li').first().isVisible());
    await page.locator('#matrix tbody tr').nth(0).locator('td').nth(0).locator('a').click();
    await page.waitForFunction(() => (document.getElementById('run-0') as unknown as PageElement | null)?.open === true, undefined, { timeout: 5000 });
    t.is(new URL(page.url()).hash, '#run-0');
    t.is(await run.locator('ol.timeline > li.chip').count(), 4);
    t.true(await run.locator('ol.timeline > li').first().isVisible());
    await page.locator('#collapse-all').click();
    t.false(await page.locator('#run-5').evaluate((el) => (el as unknown as PageElement).open));
    await page.locator('#expand-all').click();
    t.true(await page.locator('#run-1').evaluate((el) => (el as unknown as PageElement).open));
    t.deepEqual(consoleErrors, [], 'the inline script runs under the page’s Content-Security-Policy');
  } finally {
    await page.close();
  }
});

test('the legend explains classes, leaks, strike point and every via', async (t) => {
  const { page } = await open();
  try {
    const legend = page.locator('#legend .legend');
    t.true(await legend.isVisible());
    for (const cls of ['exposed', 'before', 'after', 'unrelated']) {
      t.true(await legend.locator(`.chip.c-${cls}`, { hasText: cls }).first().isVisible(), cls);
    }
    const text = squash(await legend.innerText());
    for (const phrase of ['not leaked', 'leaked, with how', 'not delivered', 'verified', 'strike', 'mark']) t.true(text.includes(phrase), phrase);
    t.deepEqual(await legend.locator('dt .via').allTextContents(), ['decrypt', 'escrow']);
    t.regex(text, /decrypt recovered by running the design’s own code on captured state \(5 messages\)/);
    t.regex(text, /escrow opened with the escrow key \(1 message\)/);
  } finally {
    await page.close();
  }
});

test('no script from the report runs, nothing is fetched, payloads show as text', async (t) => {
  const { page, dialogs, consoleErrors, requests } = await open();
  try {
    await page.locator('#expand-all').click();
    // Hover every chip: nothing fires on hover either.
    const chips = page.locator('li.chip');
    const count = await chips.count();
    t.true(count > 10);
    for (let i = 0; i < count; i++) await chips.nth(i).hover();
    await page.waitForTimeout(200);
    t.is(await page.evaluate(() => window.__xss), undefined);
    t.deepEqual(dialogs, []);
    t.is(await page.locator('img, script[src], iframe, object, embed, link').count(), 0, 'no element from report text');
    t.is(await page.evaluate(() => Array.from(document.querySelectorAll('*')).filter((el) => Array.from(el.attributes).some((a) => a.name.startsWith('on'))).length), 0);
    t.true(await page.getByText(ALERT_PAYLOAD, { exact: true }).first().isVisible(), 'the payload reads as text');
    t.true(await page.getByText(PROBE_PAYLOAD, { exact: true }).first().isVisible());
    t.deepEqual(requests.filter((r) => r !== url), [], 'nothing but the page itself is requested');
    t.deepEqual(consoleErrors, []);
  } finally {
    await page.close();
  }
});
