import { SitepubError, invalid } from './errors.js';
import { findOccurrences } from './text-search.js';

export type PatchOperation =
  | { operation: 'replace'; find: string; replace: string }
  | { operation: 'delete'; find: string };

/** Past this many matches the count is reported as "1000 or more": enough to say "make it unique". */
const MATCH_CAP = 1000;

/**
 * Applies patches in order, all or nothing. Each `find` must occur exactly once in the content as
 * it is at that point; the error names the patch and the number of matches so a caller can fix it.
 */
export function applyPatches(content: string, patches: readonly PatchOperation[]): string {
  if (patches.length === 0) throw invalid('patches must contain at least one operation', { field: 'patches' });
  let out = content;
  patches.forEach((p, index) => {
    if (p.find.length === 0) throw invalid(`patches[${index}].find must not be empty`, { patch_index: index });
    // One linear scan gives both the count and the position: indexOf is quadratic on crafted input.
    const { count: matches, first: i } = findOccurrences(out, p.find, MATCH_CAP);
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
        `${where}: the find text occurs ${matches >= MATCH_CAP ? `${MATCH_CAP} or more` : matches} times; it must occur exactly once. ` +
          'Include more surrounding text to make it unique. No patch was applied.',
        { patch_index: index, matches },
      );
    }
    const replacement = p.operation === 'replace' ? p.replace : '';
    out = out.slice(0, i) + replacement + out.slice(i + p.find.length);
  });
  return out;
}
