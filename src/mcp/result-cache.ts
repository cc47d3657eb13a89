import { LRUCache } from 'lru-cache';

/**
 * Results rebuilt identically as long as their key (an answer tag) is unchanged, bounded by the
 * total size of their JSON; least recently used go first. One answer larger than a quarter of the
 * bound is not kept (it would push out everything else).
 */
export class ResultCache<V> {
  private readonly lru: LRUCache<string, { value: V; size: number }>;

  constructor(private readonly maxSize: number) {
    this.lru = new LRUCache<string, { value: V; size: number }>({ maxSize, sizeCalculation: (e) => Math.max(1, e.size) });
  }

  get(key: string): V | undefined {
    return this.lru.get(key)?.value;
  }

  set(key: string, value: V, size: number): void {
    if (size > this.maxSize / 4) return;
    this.lru.set(key, { value, size });
  }

  get size(): number {
    return this.lru.size;
  }

  get bytes(): number {
    return this.lru.calculatedSize;
  }
}
