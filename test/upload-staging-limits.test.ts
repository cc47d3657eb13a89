import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { makeEnv, rejection } from './helpers.js';
import { DIALECTS } from './dialects.js';

const KB = 1024;
const mp4 = (size: number): Buffer =>
  Buffer.concat([Buffer.from([0, 0, 0, 20]), Buffer.from('ftypisom', 'latin1'), Buffer.alloc(4), Buffer.from('isom', 'latin1'), Buffer.alloc(64), randomBytes(size)]);

/** Yields `data` in 64 KB pieces, counting what was pulled; `at` runs once when that offset is reached. */
function pieces(data: Buffer, at?: { offset: number; run: () => Promise<void> }): { source: AsyncGenerator<Uint8Array>; pulled: () => number } {
  let pulled = 0;
  async function* gen(): AsyncGenerator<Uint8Array> {
    for (let o = 0; o < data.length; o += 64 * KB) {
      if (at && o === at.offset) await at.run();
      const p = data.subarray(o, o + 64 * KB);
      pulled += p.length;
      yield p;
    }
  }
  return { source: gen(), pulled: () => pulled };
}

const chunkCount = async (env: Awaited<ReturnType<typeof makeEnv>>): Promise<number> =>
  Number((await env.core.db.kysely.selectFrom('blob_chunks').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);

for (const dialect of DIALECTS) {
  describe(`staged uploads on ${dialect}`, () => {
    it('an overwrite stages no more than the room left plus what it replaces', async () => {
      const env = await makeEnv({ dialect, limits: { chunkBytes: 64 * KB, storageQuotaBytes: 1024 * KB } });
      try {
        const first = mp4(256 * KB);
        await env.core.assets.uploadStream(env.project, { slug: 'a.mp4', private: true }, pieces(first).source);
        // "overwrite" of a slug with no asset: judged against the room left (about 768 KB), stopped early.
        const big = pieces(mp4(4096 * KB));
        const e = await rejection(env.core.assets.uploadStream(env.project, { slug: 'new.mp4', private: true, overwrite: true }, big.source));
        expect(e.type).toBe('PAYLOAD_TOO_LARGE');
        expect(big.pulled()).toBeLessThan(1200 * KB);
        // Replacing a.mp4 may use the room left plus a.mp4's 256 KB: 900 KB fits.
        const bigger = await env.core.assets.uploadStream(env.project, { slug: 'a.mp4', private: true, overwrite: true }, pieces(mp4(900 * KB)).source);
        expect(bigger.size_bytes).toBeGreaterThan(900 * KB);
        const used = (await env.core.assets.list(env.project)).assets.reduce((n, a) => n + a.size_bytes, 0);
        expect(used).toBe(bigger.size_bytes);
        // Only a.mp4's chunks are left: the refused stream's went.
        expect(await chunkCount(env)).toBe(Math.ceil(bigger.size_bytes / (64 * KB)));
      } finally {
        await env.close();
      }
    });

    it('an upload swept while it still streams (a day without finishing) leaves no chunks behind', async () => {
      const env = await makeEnv({ dialect, limits: { chunkBytes: 64 * KB } });
      try {
        const slow = pieces(mp4(1024 * KB), {
          offset: 512 * KB,
          run: async () => {
            env.clock.advance(25 * 3_600_000);
            await env.core.assets.sweepStaleHolds();
          },
        });
        await expect(env.core.assets.uploadStream(env.project, { slug: 'v.mp4', private: true }, slow.source)).rejects.toThrow(/cleaned up/);
        expect(await chunkCount(env)).toBe(0);
        expect((await env.core.assets.list(env.project)).total).toBe(0);
      } finally {
        await env.close();
      }
    });
  });
}
