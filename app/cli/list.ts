/** `keyhole list`: every target, adversary, scenario and reporter (built-in, and the config's and plugins') with a one-line description. */
import pc from 'picocolors';
import type { Capability } from '../../attacks/capabilities.ts';
import { COMPOSITE_SEPARATOR } from '../../attacks/compose.ts';
import { printable } from '../../harness/printable.ts';
import { BUILT_IN, type Registry } from '../../harness/plugins/registry.ts';
import { builtInScenarios } from './catalogue.ts';

export interface CatalogueEntry {
  name: string;
  description: string;
}

export interface AdversaryEntry extends CatalogueEntry {
  /** What it can see, hold and do; a composite holds the union of its parts'. */
  capabilities: Capability[];
}

export interface ReporterListing extends CatalogueEntry {
  /** The files it writes under `--out` (none: it prints to the terminal or the CI's log). */
  files: string[];
}

export interface Catalogue {
  targets: CatalogueEntry[];
  adversaries: AdversaryEntry[];
  scenarios: CatalogueEntry[];
  reporters: ReporterListing[];
}

/** How composites are named, for the listing. */
export const COMPOSITION_NOTE = `adversaries compose: a${COMPOSITE_SEPARATOR}b (e.g. stolen-device${COMPOSITE_SEPARATOR}quantum) holds the union of their capabilities and parameters and uses them together`;

export function catalogue(registry: Registry = BUILT_IN): Catalogue {
  const entry = ({ name, description }: CatalogueEntry): CatalogueEntry => ({ name, description });
  return {
    targets: registry.targetList(),
    adversaries: Object.values(registry.adversaries).map((a) => ({ ...entry(a), capabilities: [...a.capabilities] })),
    scenarios: builtInScenarios(registry).map((s) => entry({ name: s.name, description: firstLine(s.description) })),
    reporters: Object.entries(registry.reporters).map(([name, r]) => ({ name, description: r.description, files: r.files.map((f) => f.name) })),
  };
}

export function renderCatalogue(list: Catalogue, color: boolean): string {
  const c = pc.createColors(color);
  const width = Math.max(...Object.values(list).flat().map((e) => printable(e.name).length));
  const line = (e: CatalogueEntry, extra = '') => `  ${c.cyan(printable(e.name).padEnd(width))}  ${printable(e.description)}${extra}`;
  const section = (title: string, lines: string[]) => [c.bold(title), ...lines].join('\n');
  return `${[
    section('targets', list.targets.map((e) => line(e))),
    section('adversaries', [...list.adversaries.map((e) => line(e, c.dim(` [${e.capabilities.join(', ')}]`))), `  ${c.dim(COMPOSITION_NOTE)}`]),
    section('scenarios', list.scenarios.map((e) => line(e))),
    section('reporters (--reporter)', list.reporters.map((e) => line(e))),
  ].join('\n\n')}\n`;
}

function firstLine(text: string): string {
  const sentence = text.split(/(?<=\.)\s/)[0] ?? text;
  return sentence.replace(/\s+/g, ' ').trim();
}
