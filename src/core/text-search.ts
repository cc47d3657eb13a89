/**
 * Substring search with a worst case linear in the text plus the pattern (Knuth-Morris-Pratt).
 * String.prototype.indexOf has no such bound in V8: a crafted pattern of 640 K characters kept one
 * search busy for half a minute, and callers here search text sent by any write token.
 */

export interface Occurrences {
  /** Occurrences found, overlapping ones included, never more than the limit asked for. */
  count: number;
  /** Where the first occurrence starts (UTF-16 code units), or -1 when there is none. */
  first: number;
}

/**
 * While no partial match is pending, the scan jumps to the next occurrence of the pattern's first
 * PROBE characters with indexOf, which is fast on ordinary text. Whatever indexOf's algorithm, a
 * search for k characters costs at most k per position it passes, and each jump is followed by at
 * least k characters of the linear scan, so the jumps add at most 2 * PROBE per character of text.
 */
const PROBE = 16;

/** For each prefix of the pattern, the length of its longest proper prefix that is also a suffix. */
function borders(pattern: string): Int32Array {
  const out = new Int32Array(pattern.length);
  for (let i = 1, k = 0; i < pattern.length; i++) {
    const c = pattern.charCodeAt(i);
    while (k > 0 && pattern.charCodeAt(k) !== c) k = out[k - 1]!;
    if (pattern.charCodeAt(k) === c) k++;
    out[i] = k;
  }
  return out;
}

/**
 * Counts the occurrences of a non-empty pattern, overlapping ones included, and stops as soon as
 * `limit` are found: a caller asking "exactly once?" passes 2 and never pays for the rest.
 */
export function findOccurrences(text: string, pattern: string, limit: number): Occurrences {
  const n = text.length;
  const m = pattern.length;
  if (m === 0) throw new RangeError('findOccurrences: the pattern must not be empty');
  if (m > n || limit < 1) return { count: 0, first: -1 };
  const border = borders(pattern);
  const probe = pattern.slice(0, PROBE);
  const last = n - m;
  let count = 0;
  let first = -1;
  let j = 0;
  for (let i = 0; i < n; i++) {
    if (j === 0) {
      i = text.indexOf(probe, i);
      if (i < 0 || i > last) break;
    }
    const c = text.charCodeAt(i);
    while (j > 0 && pattern.charCodeAt(j) !== c) j = border[j - 1]!;
    if (pattern.charCodeAt(j) === c) j++;
    if (j === m) {
      if (count === 0) first = i - m + 1;
      if (++count >= limit) break;
      j = border[m - 1]!;
    }
  }
  return { count, first };
}
