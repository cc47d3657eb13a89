import { availableParallelism, cpus, totalmem } from 'node:os';
import { benchLargeFile } from './large-file.js';
import { benchMcp } from './mcp.js';
import { benchScale } from './scale.js';
import { benchServing } from './serving.js';
import { has, printTable, type Row } from './util.js';
import { benchVersions } from './versions.js';

/**
 * `npm run bench`: every comparison against its anchor, measured in the same run on loopback,
 * several rounds, medians, one table. Needs wrk and nginx (Debian packages of those names).
 */
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const seconds = Number(process.env.BENCH_SECONDS ?? 5);
const only = process.argv[2];

if (!has('wrk') && only !== 'large') {
  console.error('npm run bench needs wrk (apt-get install wrk) and, for the nginx anchor, nginx (apt-get install nginx).');
  process.exit(1);
}
console.error(`machine: ${cpus()[0]?.model ?? 'cpu'} x${availableParallelism()}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}; ${rounds} rounds of ${seconds}s, 64 connections`);
const rows: Row[] = [];
const section = async (name: string, f: () => Promise<Row[]>): Promise<void> => {
  if (only && only !== name) return;
  console.error(`- ${name}...`);
  rows.push(...(await f()));
};
await section('serving', async () => (await benchServing({ rounds, seconds })).rows);
await section('mcp', () => benchMcp({ calls: 3000, startups: 7 }));
await section('versions', () => benchVersions());
await section('large', async () => (await benchLargeFile({ sizeMb: Number(process.env.BENCH_LARGE_MB ?? 200) })).rows);
await section('scale', () => benchScale({ tokens: Number(process.env.BENCH_TOKENS ?? 1_000_000), events: Number(process.env.BENCH_EVENTS ?? 5_000_000), pages: Number(process.env.BENCH_PAGES ?? 100_000) }));
console.log(printTable(rows));
process.exit(rows.every((r) => r.met !== false) ? 0 : 0);
