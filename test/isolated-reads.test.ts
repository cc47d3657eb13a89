import { describe, expect, it } from 'vitest';
import { readGeneration } from '../src/core/generation.js';
import { makeEnv, rejection } from './helpers.js';

describe('reads never see another request\'s unfinished write (SQLite, one handle)', () => {
  it('pages_get during a failing bulk create never returns a page that is then rolled back', async () => {
    const env = await makeEnv();
    try {
      // The last item collides with an asset at its path: the bulk fails after writing the others.
      await env.core.assets.upload(env.project, { slug: 'taken.html', content_text: '<p>an asset</p>' });
      const pages = [...Array.from({ length: 40 }, (_, i) => ({ slug: `p${i}.html`, content: `<p>${i}</p>` })), { slug: 'taken.html', content: 'x' }];
      const genBefore = readGeneration(env.core.db, env.project.id);
      let seen = 0;
      let reads = 0;
      let generationSeen = false;
      let done = false;
      const bulk = env.core.pages.bulkCreate(env.project, pages).finally(() => (done = true));
      // Read between the bulk's statements: its transaction advances in microtasks (better-sqlite3
      // is synchronous), so yield one microtask at a time rather than a whole event-loop turn.
      while (!done) {
        await Promise.resolve();
        const got = await Promise.allSettled(Array.from({ length: 8 }, (_, i) => env.core.pages.get(env.project, `p${i}.html`)));
        reads += got.length;
        seen += got.filter((g) => g.status === 'fulfilled').length;
        const g = readGeneration(env.core.db, env.project.id);
        if ((typeof g === 'number' ? g : await g) !== genBefore) generationSeen = true;
      }
      expect((await rejection(bulk)).type).toBe('ALREADY_EXISTS');
      expect(reads).toBeGreaterThan(0);
      expect(seen).toBe(0);
      expect(generationSeen).toBe(false);
      expect((await env.core.pages.list(env.project)).total).toBe(0);
    } finally {
      await env.close();
    }
  });
});

describe('answers carry what was stored', () => {
  it('pages_update returns the updated_at it stored, not a second reading of the clock', async () => {
    const env = await makeEnv();
    try {
      // A clock that moves on every reading, as a real one does.
      const now = env.clock.now.bind(env.clock);
      env.clock.now = () => {
        env.clock.advance(7);
        return now();
      };
      await env.core.pages.create(env.project, { slug: 'a.html', content: 'one' });
      const updated = await env.core.pages.update(env.project, { slug: 'a.html', content: 'two' });
      const stored = await env.core.pages.get(env.project, 'a.html');
      expect(updated.updated_at).toBe(stored.updated_at);
    } finally {
      await env.close();
    }
  });
});
