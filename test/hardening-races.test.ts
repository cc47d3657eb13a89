import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Core } from '../src/core/core.js';
import { SitepubError } from '../src/core/errors.js';
import { constraintViolation } from '../src/db/constraints.js';
import { REAL_PG_URL } from './dialects.js';
import { twoInstances } from './instances.js';
import { b64, makeEnv, PDF_MIN, PNG_1PX } from './helpers.js';

const ROUNDS = 40;

/** Every loser of a race must get the typed error, never an internal one. */
function typesOf(results: PromiseSettledResult<unknown>[]): string[] {
  return results.filter((r): r is PromiseRejectedResult => r.status === 'rejected').map((r) => (r.reason instanceof SitepubError ? r.reason.type : `untyped: ${String(r.reason)}`));
}

if (!REAL_PG_URL) console.log('hardening-races: the two-instance PostgreSQL races need a real server (set DATABASE_URL, as CI does); only the SQLite checks run.');

describe.skipIf(!REAL_PG_URL)('two instances racing on one PostgreSQL database', () => {
  let a: Core;
  let b: Core;
  let cleanup: () => Promise<void>;
  beforeAll(async () => {
    ({ a, b, cleanup } = await twoInstances('postgres'));
  });
  afterAll(() => cleanup());

  it('duplicate project creates: one wins, the other is ALREADY_EXISTS', async () => {
    for (let i = 0; i < ROUNDS; i++) {
      const r = await Promise.allSettled([a.projects.create({ name: 'P', subdomain: `dup-${i}` }), b.projects.create({ name: 'P', subdomain: `dup-${i}` })]);
      expect(r.filter((x) => x.status === 'fulfilled')).toHaveLength(1);
      expect(typesOf(r)).toEqual(['ALREADY_EXISTS']);
    }
  });

  it('duplicate page and asset creates: one wins, the other is ALREADY_EXISTS', async () => {
    const project = await a.projects.create({ name: 'Pages', subdomain: 'pages-race' });
    for (let i = 0; i < ROUNDS; i++) {
      const pages = await Promise.allSettled([a.pages.create(project, { slug: `p${i}.html`, content: 'a' }), b.pages.create(project, { slug: `p${i}.html`, content: 'b' })]);
      expect(typesOf(pages)).toEqual(['ALREADY_EXISTS']);
      const assets = await Promise.allSettled([
        a.assets.upload(project, { slug: `a${i}.png`, content: b64(PNG_1PX) }),
        b.assets.upload(project, { slug: `a${i}.png`, content: b64(PNG_1PX) }),
      ]);
      expect(typesOf(assets)).toEqual(['ALREADY_EXISTS']);
    }
  });

  it('a page and an asset created at one path at once: exactly one exists', async () => {
    const project = await a.projects.create({ name: 'Paths', subdomain: 'paths-race' });
    for (let i = 0; i < ROUNDS; i++) {
      const slug = `x${i}.html`;
      const r = await Promise.allSettled([
        a.pages.create(project, { slug, content: '<p>page</p>' }),
        b.assets.upload(project, { slug, content_text: '<p>asset</p>' }),
      ]);
      expect(typesOf(r)).toEqual(['ALREADY_EXISTS']);
      const page = await a.db.kysely.selectFrom('pages').select('id').where('project_id', '=', project.id).where('slug', '=', slug).executeTakeFirst();
      const asset = await a.db.kysely.selectFrom('assets').select('id').where('project_id', '=', project.id).where('slug', '=', slug).executeTakeFirst();
      expect(Number(!!page) + Number(!!asset)).toBe(1);
    }
  });

  it("a delete racing an upload of the same bytes in another project: both succeed, the upload's bytes stay", async () => {
    const p1 = await a.projects.create({ name: 'One', subdomain: 'blob-one' });
    const p2 = await b.projects.create({ name: 'Two', subdomain: 'blob-two' });
    for (let i = 0; i < ROUNDS; i++) {
      // The same bytes in both projects, different in every round (a new blob each time).
      const bytes = Buffer.concat([PDF_MIN, Buffer.from(`%round ${i}\n`)]);
      await a.assets.upload(p1, { slug: `f${i}.pdf`, content: b64(bytes), private: true });
      const r = await Promise.allSettled([a.assets.delete(p1, `f${i}.pdf`), b.assets.upload(p2, { slug: `f${i}.pdf`, content: b64(bytes), private: true })]);
      expect(typesOf(r)).toEqual([]);
      const got = await a.assets.get(p2, `f${i}.pdf`);
      expect(Buffer.from(got.content, 'base64').equals(bytes)).toBe(true);
    }
  });
});

describe('constraint violations map to typed errors on every engine', () => {
  it('recognises unique and foreign-key violations of SQLite and PostgreSQL', () => {
    expect(constraintViolation({ code: '23505' })).toBe('unique');
    expect(constraintViolation({ code: 'SQLITE_CONSTRAINT_UNIQUE' })).toBe('unique');
    expect(constraintViolation({ code: 'SQLITE_CONSTRAINT_PRIMARYKEY' })).toBe('unique');
    expect(constraintViolation({ code: '23503' })).toBe('foreign_key');
    expect(constraintViolation({ code: 'SQLITE_CONSTRAINT_FOREIGNKEY' })).toBe('foreign_key');
    expect(constraintViolation(new Error('x'))).toBeUndefined();
  });

  it('the path index refuses a second claim even when the friendly checks are skipped', async () => {
    const env = await makeEnv();
    try {
      await env.core.pages.create(env.project, { slug: 'a.html', content: 'x' });
      // A row written behind the service's back (as a racing instance would) still meets the constraint.
      const err = await env.core.db.kysely
        .insertInto('site_paths')
        .values({ project_id: env.project.id, path: 'a.html', kind: 'asset' })
        .execute()
        .then(() => undefined, (e: unknown) => e);
      expect(constraintViolation(err)).toBe('unique');
      // Deleting the page frees the path for an asset.
      await env.core.pages.delete(env.project, 'a.html');
      await env.core.assets.upload(env.project, { slug: 'a.html', content_text: '<p>now an asset</p>' });
      await env.core.assets.delete(env.project, 'a.html');
      await env.core.pages.create(env.project, { slug: 'a.html', content: 'a page again' });
    } finally {
      await env.close();
    }
  });
});
