import { invalid } from './errors.js';

const MAX_SLUG_BYTES = 255;
const MAX_DEPTH = 10;
// Control characters, whitespace, and characters with a meaning in URLs or on file systems.
const FORBIDDEN = /[\u0000-\u0020\u007f-\u009f\u00a0\u2028\u2029\\%?#"<>|*:`^{}\[\]]/u;

/**
 * Validates and normalises a page or asset slug: a relative URL path such as `blog/post1.html`.
 * Normalises to NFC first, then validates the normalised form (never the other way round), and
 * refuses rather than rewrites, so two inputs never silently collide.
 */
export function normalizeSlug(raw: unknown, what: 'page' | 'asset' = 'page'): string {
  if (typeof raw !== 'string' || raw.length === 0) throw invalid(`${what} slug is required`, { field: 'slug' });
  // Checked before anything else: a lone surrogate has no UTF-8 form, so the database would store
  // a substitute (a different slug than the one answered) and encodeURIComponent throws on it.
  const lone = loneSurrogateAt(raw);
  if (lone >= 0) {
    throw invalid(
      `Invalid ${what} slug: it contains a lone UTF-16 surrogate (code unit ${codeUnit(raw, lone)} at index ${lone}), which is not valid Unicode text. ` +
        'Send the slug as valid UTF-8/UTF-16 text (characters outside the BMP as complete surrogate pairs).',
      { field: 'slug' },
    );
  }
  const slug = raw.normalize('NFC');
  const hint = ` Use a relative path like ${what === 'page' ? '"about.html" or "blog/post-1.html"' : '"images/logo.png"'}.`;
  const fail = (why: string): never => {
    throw invalid(`Invalid ${what} slug "${truncate(raw)}": ${why}.${hint}`, { field: 'slug' });
  };
  if (Buffer.byteLength(slug, 'utf8') > MAX_SLUG_BYTES) fail(`longer than ${MAX_SLUG_BYTES} bytes`);
  if (slug.startsWith('/')) fail('must not start with "/"');
  if (slug.endsWith('/')) fail('must not end with "/"');
  const bad = FORBIDDEN.exec(slug);
  if (bad) fail(`contains a forbidden character (${JSON.stringify(bad[0])})`);
  const segments = slug.split('/');
  if (segments.length > MAX_DEPTH) fail(`more than ${MAX_DEPTH} path segments`);
  for (const s of segments) {
    if (s === '') fail('contains an empty path segment ("//")');
    if (s === '.' || s === '..') fail('contains a "." or ".." segment');
    if (s.startsWith('.') && s !== '.well-known') fail(`segment "${truncate(s)}" starts with "."`);
  }
  if (segments[0] === '_sitepub') fail('"_sitepub/" is reserved by the platform');
  return slug;
}

/** Lower-case extension of the last segment, without the dot, or '' when there is none. */
export function extensionOf(slug: string): string {
  const last = slug.slice(slug.lastIndexOf('/') + 1);
  const dot = last.lastIndexOf('.');
  return dot > 0 ? last.slice(dot + 1).toLowerCase() : '';
}

// In a /u regex a surrogate pair is one code point, so only unpaired surrogates match.
const LONE_SURROGATE = /\p{Surrogate}/u;

/** String.prototype.isWellFormed (Node 20), which this project's ES2022 lib does not declare. */
type WellFormed = { isWellFormed(): boolean };

/** Index of the first unpaired UTF-16 surrogate in `s`, or -1 when `s` is well-formed. */
export function loneSurrogateAt(s: string): number {
  if ((s as unknown as WellFormed).isWellFormed()) return -1;
  return LONE_SURROGATE.exec(s)?.index ?? -1;
}

/** The code unit at `i` as written in JSON, e.g. "\\uD800". */
export function codeUnit(s: string, i: number): string {
  return `\\u${s.charCodeAt(i).toString(16).toUpperCase().padStart(4, '0')}`;
}

function truncate(s: string): string {
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}
