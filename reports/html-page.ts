/**
 * The skeleton of index.html: the head with its Content-Security-Policy and stylesheet, the
 * body the sections fill, and the one inline script.
 *
 * The inline script takes nothing from the report: it only opens the run a link points at and
 * expands or collapses all runs. The Content-Security-Policy allows that one script (by hash)
 * and inline styles, nothing else, so even markup that slipped through could not run or load
 * anything.
 */
import { createHash } from 'node:crypto';
import { escapeHtml } from './html-text.ts';
import { CSS } from './html-styles.ts';

const SCRIPT = `(function () {
  function openTarget() {
    var id = decodeURIComponent(location.hash.slice(1));
    var el = id ? document.getElementById(id) : null;
    if (el && el.tagName === 'DETAILS') el.open = true;
  }
  function setAll(open) {
    var runs = document.querySelectorAll('details.run');
    for (var i = 0; i < runs.length; i++) runs[i].open = open;
  }
  window.addEventListener('hashchange', openTarget);
  openTarget();
  var expand = document.getElementById('expand-all');
  var collapse = document.getElementById('collapse-all');
  if (expand) expand.addEventListener('click', function () { setAll(true); });
  if (collapse) collapse.addEventListener('click', function () { setAll(false); });
})();`;

const SCRIPT_HASH = createHash('sha256').update(SCRIPT).digest('base64');

const CSP = [
  "default-src 'none'",
  "style-src 'unsafe-inline'",
  `script-src 'sha256-${SCRIPT_HASH}'`,
  "img-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
].join('; ');

/** The whole page around `body`, the rendered sections in order, ending in a newline. */
export function htmlDocument(body: readonly string[]): string {
  return [
    '<!doctype html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="${escapeHtml(CSP)}">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    '<meta name="referrer" content="no-referrer">',
    '<title>keyhole report</title>',
    `<style>${CSS}</style>`,
    '</head>',
    '<body>',
    ...body,
    `<script>${SCRIPT}</script>`,
    '</body>',
    '</html>',
    '',
  ].join('\n');
}
