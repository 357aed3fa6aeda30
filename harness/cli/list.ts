/** `keyhole list`: every built-in target, adversary and scenario with a one-line description. */
import pc from 'picocolors';
import { printable } from '../printable.ts';
import { adversaries } from '../../attacks/registry.ts';
import { targets } from '../../targets/registry.ts';
import { builtInScenarios } from './catalogue.ts';

export interface CatalogueEntry {
  name: string;
  description: string;
}

export interface Catalogue {
  targets: CatalogueEntry[];
  adversaries: CatalogueEntry[];
  scenarios: CatalogueEntry[];
}

export function catalogue(): Catalogue {
  const entry = ({ name, description }: CatalogueEntry): CatalogueEntry => ({ name, description });
  return {
    targets: Object.values(targets).map(entry),
    adversaries: Object.values(adversaries).map(entry),
    scenarios: builtInScenarios().map((s) => entry({ name: s.name, description: firstLine(s.description) })),
  };
}

export function renderCatalogue(list: Catalogue, color: boolean): string {
  const c = pc.createColors(color);
  const names = Object.values(list).flat().map((e) => printable(e.name));
  const width = Math.max(...names.map((name) => name.length));
  const section = (title: string, entries: CatalogueEntry[]) =>
    [c.bold(title), ...entries.map((e) => `  ${c.cyan(printable(e.name).padEnd(width))}  ${printable(e.description)}`)].join('\n');
  return `${[section('targets', list.targets), section('adversaries', list.adversaries), section('scenarios', list.scenarios)].join('\n\n')}\n`;
}

function firstLine(text: string): string {
  const sentence = text.split(/(?<=\.)\s/)[0] ?? text;
  return sentence.replace(/\s+/g, ' ').trim();
}
