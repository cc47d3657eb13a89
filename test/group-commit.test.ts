import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { migrate, openDb } from '../src/db/connect.js';
import { GroupCommit } from '../src/db/group-commit.js';
import { template } from '../src/db/query-template.js';

describe('SQLite group commit', () => {
  it('items of one batch are isolated by savepoints; a failing one changes nothing', async () => {
    const db = openDb({ dataDir: ':memory:' });
    await migrate(db);
    const insert = template(['key'], (p) => db.kysely.insertInto('rate_limits').values({ key: p.key, window_start: 'w', count: 1 }));
    const gc = new GroupCommit(db);
    const results = await Promise.allSettled([
      gc.run((all) => all(insert({ key: 'a' })))!,
      gc.run((all) => {
        all(insert({ key: 'x' }));
        return all(insert({ key: 'a' })); // duplicate: this item fails, its first insert is undone
      })!,
      gc.run((all) => all(insert({ key: 'b' })))!,
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    const keys = (await db.kysely.selectFrom('rate_limits').select('key').orderBy('key').execute()).map((r) => r.key);
    expect(keys).toEqual(['a', 'b']);
    await db.close();
  });

  it('while another connection holds the write lock, a batch waits without stopping the event loop', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'sitepub-busy-'));
    const holder = openDb({ dataDir: dir });
    const db = openDb({ dataDir: dir });
    try {
      await migrate(holder);
      const insert = template(['key'], (p) => db.kysely.insertInto('rate_limits').values({ key: p.key, window_start: 'w', count: 1 }));
      const gc = new GroupCommit(db);
      holder.sqlite!.exec('begin immediate'); // as another process mid-write would
      let done = false;
      const first = gc.run((all, run) => run(insert({ key: 'queued-1' })))!.then((n) => ((done = true), n));
      // A chain of timers runs to its end while the lock is held: the loop is never parked in
      // SQLite's busy handler (had it been, the batch would fail with SQLITE_BUSY instead of waiting).
      // No count of ticks: that depends on how loaded the machine is.
      for (let i = 0; i < 5; i++) await new Promise((r) => setTimeout(r, 5));
      const second = gc.run((all, run) => run(insert({ key: 'queued-2' })))!; // joins the waiting batch
      for (let i = 0; i < 5; i++) await new Promise((r) => setTimeout(r, 5));
      expect(done).toBe(false);
      holder.sqlite!.exec('commit');
      expect(await Promise.all([first, second])).toEqual([1, 1]);
      const keys = (await db.kysely.selectFrom('rate_limits').select('key').orderBy('key').execute()).map((r) => r.key);
      expect(keys).toEqual(['queued-1', 'queued-2']);
    } finally {
      await db.close();
      await holder.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('after a second of retries a batch waits in SQLite like any write, and commits when the other process does', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'sitepub-busy-'));
    const db = openDb({ dataDir: dir });
    try {
      await migrate(db);
      // Another process holds the write lock for 1.5 s: past the 1 s of cheap retries, the batch
      // waits in SQLite's busy handler (5 s at most), which that process's commit ends.
      const holder = spawn(process.execPath, ['-e', `
        const db = new (require('better-sqlite3'))(${JSON.stringify(path.join(dir, 'sitepub.db'))});
        db.exec('begin immediate'); console.log('locked');
        setTimeout(() => { db.exec('commit'); db.close(); }, 1500);`], { stdio: ['ignore', 'pipe', 'inherit'] });
      await new Promise<void>((r) => holder.stdout!.once('data', () => r()));
      const insert = template(['key'], (p) => db.kysely.insertInto('rate_limits').values({ key: p.key, window_start: 'w', count: 1 }));
      const gc = new GroupCommit(db);
      expect(await gc.run((all, run) => run(insert({ key: 'patient' })))!).toBe(1);
      expect((await db.kysely.selectFrom('rate_limits').select('key').execute()).map((r) => r.key)).toEqual(['patient']);
      if (holder.exitCode === null) await new Promise((r) => holder.once('exit', r));
    } finally {
      await db.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
