import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/**
 * What a running `sitepub serve` leaves in its data folder: its public URL, so that `sitepub mcp`
 * on the same folder answers with the URLs of the server that really serves the sites (a serve on
 * port 9000 would otherwise be reported on the default 8787). SQLite only: with DATABASE_URL the
 * data folder is not the database's home.
 */
const FILE = 'server.json';

interface ServerRecord {
  public_url: string;
  pid: number;
  started_at: string;
}

export function writeServerRecord(dataDir: string, publicUrl: string): void {
  try {
    const record: ServerRecord = { public_url: publicUrl, pid: process.pid, started_at: new Date().toISOString() };
    writeFileSync(path.join(dataDir, FILE), `${JSON.stringify(record)}\n`);
  } catch {
    // A read-only folder loses only this convenience.
  }
}

/** The public URL the last `serve` on this folder announced, if any. */
export function readServerPublicUrl(dataDir: string): string | undefined {
  const file = path.join(dataDir, FILE);
  if (!existsSync(file)) return undefined;
  try {
    const r = JSON.parse(readFileSync(file, 'utf8')) as Partial<ServerRecord>;
    return typeof r.public_url === 'string' && /^https?:\/\//.test(r.public_url) ? r.public_url : undefined;
  } catch {
    return undefined;
  }
}
