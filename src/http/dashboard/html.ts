import { escapeHtml } from '../respond.js';

/**
 * Markup that is already safe. The `html` tag escapes every interpolated value unless it is one of
 * these, so a page title like `<script>` can only ever appear as text: escaping is the default,
 * not something each template has to remember.
 */
export class Html {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

export type Child = Html | string | number | null | undefined | false | readonly Child[];

function render(v: Child): string {
  if (v === null || v === undefined || v === false) return '';
  if (v instanceof Html) return v.value;
  if (Array.isArray(v)) return v.map(render).join('');
  return escapeHtml(String(v));
}

/** A template of markup: literal parts as written, values escaped (arrays joined, Html kept). */
export function html(strings: TemplateStringsArray, ...values: readonly Child[]): Html {
  let out = strings[0]!;
  for (let i = 0; i < values.length; i++) out += render(values[i]) + strings[i + 1]!;
  return new Html(out);
}

/** Trusted markup as it is (built by this code, never from user input). */
export const raw = (s: string): Html => new Html(s);

/** A URL with query parameters (empty values left out), escaped where it is interpolated. */
export function href(path: string, query: Record<string, string | number | undefined | null> = {}): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `${path}?${s}` : path;
}
