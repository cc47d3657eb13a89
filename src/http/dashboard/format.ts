import { html, type Html } from './html.js';

/** 1536 -> "1.5 KB". */
export function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v < 10 ? v.toFixed(1) : Math.round(v)} ${units[i]}`;
}

/** An ISO time as a `<time>` element reading "2026-03-01 12:00 UTC" (the server does not know the reader's zone). */
export function time(iso: string | null | undefined, empty = '—'): Html {
  if (!iso) return html`<span class="muted">${empty}</span>`;
  return html`<time datetime="${iso}">${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC</time>`;
}

/** A status pill: the word itself carries the meaning, the color only repeats it. */
export const statusPill = (status: string): Html => html`<span class="status status-${status}">${status}</span>`;

/** A whole number from a query or form value, or the default when it is missing or not one. */
export function intParam(v: unknown, def: number, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof v !== 'string' || !/^\d{1,15}$/.test(v.trim())) return def;
  const n = Number(v.trim());
  return n < min || n > max ? def : n;
}

/** A trimmed string form or query value; undefined when missing or empty. */
export function strParam(v: unknown, max = 100_000): string | undefined {
  if (typeof v !== 'string') return undefined;
  const s = v.trim();
  return s ? s.slice(0, max) : undefined;
}
