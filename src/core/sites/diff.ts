import { createTwoFilesPatch } from 'diff';

/** A diff longer than this is cut (the answer says so; the dashboard shows the whole diff). */
export const MAX_DIFF_CHARS = 200_000;
/** Beyond this many changed lines the diff is not computed: Myers' cost grows with the edit length. */
const MAX_EDIT_LENGTH = 20_000;
/**
 * Nor beyond this much time: the edit-length bound alone still lets two unrelated 25,000-line
 * versions run for 15-30 s (the cost is lines times edit length), all of it on the event loop.
 */
const MAX_DIFF_MS = 1_000;

export interface UnifiedDiff {
  /** Unified diff text, its file header first; '' when the versions differ too much to compute. */
  diff: string;
  /** Cut at MAX_DIFF_CHARS, or not computed at all (too many changed lines, or over a second). */
  truncated: boolean;
  added: number;
  removed: number;
}

/**
 * The one unified diff of two versions' content, for pages_diff and the page-preview view alike,
 * bounded in edit length, time and size, so no request can keep the event loop on two large,
 * unrelated pages.
 */
export function unifiedDiff(fromLabel: string, toLabel: string, before: string, after: string): UnifiedDiff {
  const patch = createTwoFilesPatch(fromLabel, toLabel, before, after, undefined, undefined, { context: 3, maxEditLength: MAX_EDIT_LENGTH, timeout: MAX_DIFF_MS });
  if (patch === undefined) return { diff: '', truncated: true, added: 0, removed: 0 };
  let added = 0;
  let removed = 0;
  for (const line of patch.split('\n').slice(4)) {
    if (line.startsWith('+')) added++;
    else if (line.startsWith('-')) removed++;
  }
  const truncated = patch.length > MAX_DIFF_CHARS;
  return { diff: truncated ? patch.slice(0, MAX_DIFF_CHARS) : patch, truncated, added, removed };
}
