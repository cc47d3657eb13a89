import type { CompiledQuery } from 'kysely';

/**
 * A query compiled once and reused with new values: the builder runs with placeholder strings, and
 * each call swaps the values in by position. The SQL is the same as building it each time; what it
 * saves is Kysely's compile, about 5 us a query, half of a cached read like assets.content. A speed
 * trick: use it only where a benchmark shows the gain (the download path: download-queries.ts and
 * assets.content; pages.get, for pages_get over stdio).
 */
export function template<K extends string>(
  keys: readonly K[],
  build: (p: Record<K, string>) => { compile(): CompiledQuery<unknown> },
): (values: Record<K, unknown>) => CompiledQuery<unknown> {
  const marks = Object.fromEntries(keys.map((k) => [k, `\u0000${k}\u0000`])) as Record<K, string>;
  const compiled = build(marks).compile();
  const slots = compiled.parameters.map((p) => keys.find((k) => p === marks[k]) ?? { literal: p });
  const unused = keys.filter((k) => !slots.includes(k));
  if (unused.length) throw new Error(`template: ${unused.join(', ')} not used by the query`);
  return (values) => ({ ...compiled, parameters: slots.map((s) => (typeof s === 'string' ? values[s] : s.literal)) });
}
