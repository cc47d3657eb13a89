import { SitepubError, invalid } from './errors.js';

/** Bulk calls are all or nothing; an error names the item (`pages[3]: ...`) so a caller can fix it. */
export async function forItem<T>(field: 'pages' | 'assets', index: number, f: () => T | Promise<T>, note = ''): Promise<T> {
  try {
    return await f();
  } catch (e) {
    if (e instanceof SitepubError) throw new SitepubError(e.type, `${field}[${index}]: ${e.message}${note}`, { ...e.details, index });
    throw e;
  }
}

/** `forItem` for checks that do not wait. */
export function forItemSync<T>(index: number, f: () => T, field: 'pages' | 'assets' = 'assets', note = ' Nothing was uploaded.'): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof SitepubError) throw new SitepubError(e.type, `${field}[${index}]: ${e.message}${note}`, { ...e.details, index });
    throw e;
  }
}

export function checkBulkSize(field: 'pages' | 'assets', count: number, max: number): void {
  if (count === 0) throw invalid(`${field} must contain at least one item`, { field });
  if (count > max) throw invalid(`At most ${max} ${field} per bulk call`, { field });
}

export function assertDistinctSlugs(field: 'pages' | 'assets', slugs: readonly string[]): void {
  const seen = new Set<string>();
  slugs.forEach((slug, index) => {
    if (seen.has(slug)) throw invalid(`${field}[${index}]: slug "${slug}" appears twice in this request`, { index, slug });
    seen.add(slug);
  });
}
