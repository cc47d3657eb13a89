/**
 * Tool schema snapshots (as github-mcp-server's toolsnaps): test/toolsnaps/<tool>.json holds each
 * tool exactly as `tools/list` gives it to a real MCP client (name, title, description,
 * annotations, inputSchema, outputSchema). A change to any of them fails here with a diff, so an
 * interface change shows up in review as a change to these files.
 *
 * After an intended change, regenerate and commit the files:
 *
 *   UPDATE_TOOLSNAPS=1 npx vitest run test/toolsnaps.test.ts
 *
 * That rewrites every snapshot and removes those of tools that no longer exist.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALL_TOOLS } from '../tools/index.js';
import { connect, makeEnv, type TestEnv } from './helpers.js';

const DIR = path.resolve('test/toolsnaps');
const UPDATE = process.env.UPDATE_TOOLSNAPS === '1' || process.env.UPDATE_TOOLSNAPS === 'true';
const HOW = 'If the change is intended, run UPDATE_TOOLSNAPS=1 npx vitest run test/toolsnaps.test.ts and commit test/toolsnaps/.';

type Listed = Awaited<ReturnType<Client['listTools']>>['tools'][number];

/** The listed tool with its interface fields first, in a fixed order, so the files read alike. */
function snapshotOf(tool: Listed): Record<string, unknown> {
  const { name, title, description, annotations, inputSchema, outputSchema, ...rest } = tool;
  return { name, title, description, annotations, inputSchema, outputSchema, ...rest };
}

const fileOf = (name: string): string => path.join(DIR, `${name}.json`);
const snapshotFiles = (): string[] =>
  readdirSync(DIR, { withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith('.json'))
    .map((e) => e.name.slice(0, -'.json'.length))
    .sort();

describe('tools/list snapshots (test/toolsnaps)', () => {
  let env: TestEnv;
  let client: Client;
  const listed = new Map<string, Listed>();
  beforeAll(async () => {
    env = await makeEnv();
    client = await connect(env.core);
    for (const t of (await client.listTools()).tools) listed.set(t.name, t);
    if (UPDATE) {
      mkdirSync(DIR, { recursive: true });
      for (const stale of snapshotFiles()) if (!listed.has(stale)) rmSync(fileOf(stale));
      for (const t of listed.values()) writeFileSync(fileOf(t.name), `${JSON.stringify(snapshotOf(t), null, 2)}\n`);
    }
  });
  afterAll(async () => {
    await client?.close();
    await env?.close();
  });

  it('there is one snapshot per listed tool, and none for a tool that is gone', () => {
    expect(snapshotFiles(), `The listed tools and the files in test/toolsnaps differ. ${HOW}`).toEqual([...listed.keys()].sort());
  });

  it.each(ALL_TOOLS.map((t) => t.name))('%s matches its snapshot', (name) => {
    const tool = listed.get(name);
    expect(tool, `${name} is not in tools/list`).toBeDefined();
    let saved: unknown;
    try {
      saved = JSON.parse(readFileSync(fileOf(name), 'utf8'));
    } catch (e) {
      throw new Error(`No readable snapshot test/toolsnaps/${name}.json (${(e as Error).message}). ${HOW}`);
    }
    // A round trip through JSON, as the client received it: undefined fields drop out on both sides.
    expect(JSON.parse(JSON.stringify(snapshotOf(tool!))), `tools/list changed for ${name}. ${HOW}`).toStrictEqual(saved);
  });
});
