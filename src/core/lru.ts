import { LRUCache } from 'lru-cache';

/**
 * A least-recently-used map bounded by its number of entries, that allocates as entries arrive.
 * lru-cache's `max` allocates every slot up front: 10,000 slots cost about 2 ms and 100,000 about
 * 15 ms of start-up (measured), paid by every `sitepub mcp` before its first answer, and held for the
 * process's life even when the cache stays empty. Counting each entry as size 1 under `maxSize` bounds
 * it the same way without that.
 */
export function countBoundedLru<K extends {}, V extends {}>(
  max: number,
  opts: Omit<LRUCache.Options<K, V, unknown>, 'max' | 'maxSize' | 'sizeCalculation' | 'maxEntrySize'> = {},
): LRUCache<K, V> {
  return new LRUCache<K, V>({ ...opts, maxSize: max, sizeCalculation: () => 1 } as LRUCache.Options<K, V, unknown>);
}
