import { SitepubError, invalid } from './errors.js';

export type PatchOperation =
  | { operation: 'replace'; find: string; replace: string }
  | { operation: 'delete'; find: string };

/** Counts occurrences, overlapping ones included, stopping early once the answer is "ambiguous". */
function countMatches(haystack: string, needle: string, limit: number): number {
  let count = 0;
  let from = 0;
  for (;;) {
    const i = haystack.indexOf(needle, from);
    if (i < 0 || count >= limit) return count;
    count++;
    from = i + 1;
  }
}

/**
 * Applies patches in order, all or nothing. Each `find` must occur exactly once in the content as
 * it is at that point; the error names the patch and the number of matches so a caller can fix it.
 */
export function applyPatches(content: string, patches: readonly PatchOperation[]): string {
  if (patches.length === 0) throw invalid('patches must contain at least one operation', { field: 'patches' });
  let out = content;
  patches.forEach((p, index) => {
    if (p.find.length === 0) throw invalid(`patches[${index}].find must not be empty`, { patch_index: index });
    const matches = countMatches(out, p.find, 1000);
    const where = `patches[${index}] (${index + 1} of ${patches.length})`;
    if (matches === 0) {
      throw new SitepubError(
        'PATCH_FIND_NOT_FOUND',
        `${where}: the find text does not occur in the page${index > 0 ? ' after the earlier patches' : ''}. ` +
          'Fetch the page with pages_get and copy the exact text, including whitespace. No patch was applied.',
        { patch_index: index, matches: 0 },
      );
    }
    if (matches > 1) {
      throw new SitepubError(
        'PATCH_FIND_AMBIGUOUS',
        `${where}: the find text occurs ${matches >= 1000 ? '1000 or more' : matches} times; it must occur exactly once. ` +
          'Include more surrounding text to make it unique. No patch was applied.',
        { patch_index: index, matches },
      );
    }
    const i = out.indexOf(p.find);
    const replacement = p.operation === 'replace' ? p.replace : '';
    out = out.slice(0, i) + replacement + out.slice(i + p.find.length);
  });
  return out;
}
