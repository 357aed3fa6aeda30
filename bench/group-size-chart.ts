/**
 * The group-size curve (./group-size.ts measures it) as figures: its types, where the curves
 * cross, a Markdown table and an SVG chart. No measuring here, so that formatting loads no design.
 */

/** The name `--filter` matches to select the curve. */
export const GROUP_SIZE_TASK = 'group size';

export const GROUP_OPERATIONS = ['message', 'add', 'remove'] as const;
export type GroupOperation = (typeof GROUP_OPERATIONS)[number];

export const OPERATION_LABELS: Record<GroupOperation, string> = {
  message: 'one 1 KiB message to the group',
  add: 'add a member (and the next message)',
  remove: 'remove a member (and the next message)',
};

export interface GroupSizePoint {
  target: string;
  crypto: string;
  members: number;
  operation: GroupOperation;
  /** Median wall time of the operation, ms. */
  ms: number;
  /** Bytes the admin's device uploaded for it. */
  uploadedBytes: number;
  msPerMember: number;
  bytesPerMember: number;
}

export interface GroupSizeCurve {
  sizes: readonly number[];
  points: GroupSizePoint[];
  /** Sizes not measured, and why. */
  skipped: { target: string; members: number; reason: string }[];
  /** Where one design's curve crosses another's, in words. */
  crossovers: string[];
}

/**
 * Where two designs' curves cross: between consecutive measured sizes at which one is the
 * cheaper and then the other, for time and for uploaded bytes, the crossing estimated on the
 * log-log line between the two sizes.
 */
export function crossovers(points: readonly GroupSizePoint[]): string[] {
  const out: string[] = [];
  const targetsIn = [...new Set(points.map((p) => p.target))];
  for (const operation of GROUP_OPERATIONS) {
    for (const [measure, unit] of [['ms', 'time'], ['uploadedBytes', 'uploaded bytes']] as const) {
      for (let i = 0; i < targetsIn.length; i++) {
        for (let j = i + 1; j < targetsIn.length; j++) {
          const a = targetsIn[i]!;
          const b = targetsIn[j]!;
          const at = (t: string) => new Map(points.filter((p) => p.target === t && p.operation === operation).map((p) => [p.members, p[measure]]));
          const [pa, pb] = [at(a), at(b)];
          const common = [...pa.keys()].filter((m) => pb.has(m)).sort((x, y) => x - y);
          for (let k = 1; k < common.length; k++) {
            const [m0, m1] = [common[k - 1]!, common[k]!];
            const d0 = Math.log(Math.max(pa.get(m0)!, 1e-9)) - Math.log(Math.max(pb.get(m0)!, 1e-9));
            const d1 = Math.log(Math.max(pa.get(m1)!, 1e-9)) - Math.log(Math.max(pb.get(m1)!, 1e-9));
            if (d0 === 0 || d1 === 0 || Math.sign(d0) === Math.sign(d1)) continue;
            const crossing = Math.exp(Math.log(m0) + (Math.log(m1) - Math.log(m0)) * (d0 / (d0 - d1)));
            const [cheaper, dearer] = d1 < 0 ? [a, b] : [b, a];
            out.push(`${OPERATION_LABELS[operation]}, ${unit}: ${cheaper} becomes cheaper than ${dearer} between ${m0} and ${m1} members (about ${Math.round(crossing)})`);
          }
        }
      }
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Chart
// ---------------------------------------------------------------------------------------------

const COLOURS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e'];

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** Powers of ten spanning [lo, hi]. */
function decades(lo: number, hi: number): number[] {
  const out: number[] = [];
  for (let e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e++) out.push(10 ** e);
  return out;
}

function tickLabel(value: number, unit: string): string {
  if (unit === 'ms') return value >= 1000 ? `${value / 1000} s` : value >= 1 ? `${value} ms` : `${value * 1000} us`;
  return value >= 1e6 ? `${value / 1e6} MB` : value >= 1e3 ? `${value / 1e3} kB` : `${value} B`;
}

/**
 * The curve as an SVG chart: a panel per operation, time (top row) and uploaded bytes
 * (bottom row) against the group size, both axes logarithmic, a line per design.
 */
export function groupSizeSvg(curve: GroupSizeCurve, caption: string): string {
  const panelW = 300;
  const panelH = 210;
  const margin = { left: 62, right: 14, top: 34, bottom: 40 };
  const width = GROUP_OPERATIONS.length * (panelW + margin.left + margin.right);
  const height = 2 * (panelH + margin.top + margin.bottom) + 60;
  const targetsIn = [...new Set(curve.points.map((p) => p.target))];
  const sizes = curve.sizes;
  const [xLo, xHi] = [Math.min(...sizes), Math.max(...sizes)];
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="100%" height="100%" fill="white"/>`,
  ];
  const rows = [
    { key: 'ms' as const, unit: 'ms', title: 'time' },
    { key: 'uploadedBytes' as const, unit: 'B', title: 'uploaded by the admin' },
  ];
  rows.forEach((row, r) => {
    GROUP_OPERATIONS.forEach((operation, c) => {
      const x0 = c * (panelW + margin.left + margin.right) + margin.left;
      const y0 = r * (panelH + margin.top + margin.bottom) + margin.top;
      const points = curve.points.filter((p) => p.operation === operation);
      const values = points.map((p) => Math.max(p[row.key], row.key === 'ms' ? 0.01 : 1));
      const ticks = values.length > 0 ? decades(Math.min(...values), Math.max(...values)) : [1, 10];
      const [yLo, yHi] = [ticks[0]!, ticks[ticks.length - 1]! > ticks[0]! ? ticks[ticks.length - 1]! : ticks[0]! * 10];
      const sx = (m: number) => x0 + (xHi === xLo ? 0 : ((Math.log(m) - Math.log(xLo)) / (Math.log(xHi) - Math.log(xLo))) * panelW);
      const sy = (v: number) => y0 + panelH - ((Math.log(v) - Math.log(yLo)) / (Math.log(yHi) - Math.log(yLo))) * panelH;
      parts.push(`<text x="${x0}" y="${y0 - 10}" font-weight="bold">${escapeXml(`${OPERATION_LABELS[operation]}: ${row.title}`)}</text>`);
      parts.push(`<rect x="${x0}" y="${y0}" width="${panelW}" height="${panelH}" fill="none" stroke="#999"/>`);
      for (const t of ticks) {
        if (t < yLo || t > yHi) continue;
        parts.push(`<line x1="${x0}" x2="${x0 + panelW}" y1="${sy(t).toFixed(1)}" y2="${sy(t).toFixed(1)}" stroke="#eee"/>`);
        parts.push(`<text x="${x0 - 4}" y="${(sy(t) + 4).toFixed(1)}" text-anchor="end">${escapeXml(tickLabel(t, row.unit))}</text>`);
      }
      for (const m of sizes) {
        parts.push(`<line x1="${sx(m).toFixed(1)}" x2="${sx(m).toFixed(1)}" y1="${y0}" y2="${y0 + panelH}" stroke="#eee"/>`);
        parts.push(`<text x="${sx(m).toFixed(1)}" y="${y0 + panelH + 14}" text-anchor="middle">${m}</text>`);
      }
      parts.push(`<text x="${x0 + panelW / 2}" y="${y0 + panelH + 30}" text-anchor="middle">members</text>`);
      targetsIn.forEach((target, t) => {
        const line = points.filter((p) => p.target === target).sort((a, b) => a.members - b.members);
        if (line.length === 0) return;
        const colour = COLOURS[t % COLOURS.length]!;
        const path = line.map((p) => `${sx(p.members).toFixed(1)},${sy(Math.max(p[row.key], yLo)).toFixed(1)}`).join(' ');
        parts.push(`<polyline points="${path}" fill="none" stroke="${colour}" stroke-width="2"/>`);
        for (const p of line) parts.push(`<circle cx="${sx(p.members).toFixed(1)}" cy="${sy(Math.max(p[row.key], yLo)).toFixed(1)}" r="3" fill="${colour}"/>`);
      });
    });
  });
  const legendY = height - 30;
  targetsIn.forEach((target, t) => {
    const x = margin.left + t * 140;
    parts.push(`<rect x="${x}" y="${legendY - 9}" width="14" height="4" fill="${COLOURS[t % COLOURS.length]}"/>`);
    parts.push(`<text x="${x + 20}" y="${legendY}">${escapeXml(target)}</text>`);
  });
  parts.push(`<text x="${margin.left}" y="${height - 10}" fill="#555">${escapeXml(caption)}</text>`);
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}

/** The curve as a Markdown table (figures per operation and per member). */
export function groupSizeMarkdown(curve: GroupSizeCurve): string[] {
  const out = ['| design | members | operation | time | per member | uploaded | per member |', '|---|---:|---|---:|---:|---:|---:|'];
  for (const p of curve.points) {
    out.push(`| ${p.target} (${p.crypto}) | ${p.members} | ${p.operation} | ${formatMs(p.ms)} | ${formatMs(p.msPerMember)} | ${formatBytes(p.uploadedBytes)} | ${formatBytes(p.bytesPerMember)} |`);
  }
  return out;
}

export function formatMs(ms: number): string {
  if (ms >= 1000) return `${(ms / 1000).toPrecision(3)} s`;
  if (ms >= 1) return `${ms.toPrecision(3)} ms`;
  return `${(ms * 1000).toPrecision(3)} us`;
}

export function formatBytes(bytes: number): string {
  if (bytes >= 1e6) return `${(bytes / 1e6).toPrecision(3)} MB`;
  if (bytes >= 1e3) return `${(bytes / 1e3).toPrecision(3)} kB`;
  return `${Math.round(bytes)} B`;
}

/** The goal of the curve: at least three designs measured up to 1024 members. */
export const GROUP_SIZE_FINDING = 'group-size curve: designs measured up to 1024 members';

export function groupSizeFinding(curve: GroupSizeCurve, quick: boolean): { name: string; value: number; goal: string; met: boolean | null; detail: string; unit: string } {
  const largest = new Map<string, number>();
  for (const p of curve.points) largest.set(p.target, Math.max(largest.get(p.target) ?? 0, p.members));
  const reached = [...largest].filter(([, m]) => m >= 1024).length;
  const detail = [...largest].map(([t, m]) => `${t} up to ${m}`).join(', ');
  return {
    name: GROUP_SIZE_FINDING,
    value: reached,
    unit: 'designs',
    goal: '>= 3 designs',
    met: quick ? null : reached >= 3,
    detail: quick ? `quick run (sizes ${curve.sizes.join(', ')}): ${detail}` : detail,
  };
}
