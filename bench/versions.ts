import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ManualClock } from '../src/core/clock.js';
import { makeUrlConfig } from '../src/core/config.js';
import { Core } from '../src/core/core.js';
import { migrate, openDb } from '../src/db/connect.js';
import { median, type Row } from './util.js';

/** 1,000 small patches to a 100 KB page: bytes of history, and time to read old versions. */
export async function benchVersions(): Promise<Row[]> {
  const dir = mkdtempSync(path.join(tmpdir(), 'sitepub-bench-versions-'));
  const db = openDb({ dataDir: dir });
  await migrate(db);
  const core = new Core({ db, urls: makeUrlConfig('http://127.0.0.1:8787', 'localhost'), clock: new ManualClock() });
  try {
    const project = await core.projects.create({ name: 'Versions', subdomain: 'versions' });
    let html = '<!doctype html><html><body>\n';
    for (let i = 0; Buffer.byteLength(html) < 100 * 1024 - 200; i++) html += `<section id="s${i}"><h2>Recipe ${i}</h2><p>Mix ${100 + (i % 50)} g of flour with ${i % 9} eggs; rest ${i % 12} hours.</p></section>\n`;
    html += '</body></html>';
    const pageBytes = Buffer.byteLength(html);
    let hash = (await core.pages.create(project, { slug: 'big.html', content: html })).version_hash;
    for (let i = 0; i < 1000; i++) {
      const id = (i * 7919) % 600;
      const r = await core.pages.patch(project, {
        slug: 'big.html',
        base_version_hash: hash,
        patches: [{ operation: 'replace', find: `<h2>Recipe ${id}</h2>`, replace: `<h2>Recipe ${id}</h2><!--${i}-->` }],
      });
      hash = r.version_hash;
    }
    const rows = await db.kysely.selectFrom('page_versions').select(['content', 'packed', 'meta', 'seo']).execute();
    const history = rows.reduce((n, r) => n + Buffer.byteLength(r.content) + (r.packed?.byteLength ?? 0) + Buffer.byteLength(r.meta) + Buffer.byteLength(r.seo), 0);
    const times: number[] = [];
    for (let i = 0; i < 200; i++) {
      const version = 1 + ((i * 613) % 1000);
      const s = performance.now();
      await core.pages.versionContent(project, 'big.html', version);
      times.push(performance.now() - s);
    }
    const worst = Math.max(...times);
    return [
      {
        what: 'version storage: 1,000 patches to a 100 KB page',
        sitepub: `${(history / 1024).toFixed(0)} KB of history`,
        anchor: `${(pageBytes / 1024).toFixed(0)} KB page`,
        ratio: `${(history / pageBytes).toFixed(2)}x`,
        goal: '<= 2x',
        met: history / pageBytes <= 2,
        note: 'history = stored bytes of all 1,001 versions (keyframes deflated, deltas as JSON, meta and SEO); the current page is kept once more in full for serving',
      },
      {
        what: 'read an old version (200 reads, any of 1,000)',
        sitepub: `p50 ${median(times).toFixed(2)} ms, max ${worst.toFixed(2)} ms`,
        anchor: '',
        ratio: '',
        goal: '< 5 ms',
        met: worst < 5,
      },
    ];
  } finally {
    await core.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
