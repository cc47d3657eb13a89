import { Validator } from '@seriousme/openapi-schema-validator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALL_TOOLS } from '../tools/index.js';
import { makeApp, makeEnv, type TestEnv } from './helpers.js';

describe('OpenAPI 3.1 document', () => {
  let env: TestEnv;
  let doc: Record<string, unknown>;
  beforeAll(async () => {
    env = await makeEnv();
    const r = await makeApp(env)('/openapi.json');
    expect(r.status).toBe(200);
    doc = (await r.json()) as Record<string, unknown>;
  });
  afterAll(() => env.close());

  it('is valid OpenAPI 3.1', async () => {
    const v = new Validator();
    const res = await v.validate(doc);
    expect(res.errors ?? []).toEqual([]);
    expect(res.valid).toBe(true);
    expect(v.version).toBe('3.1');
  });

  it('has one operation per tool, with GPT-Action-safe operation ids', () => {
    const paths = doc.paths as Record<string, Record<string, { operationId: string; 'x-mcp-tool': string }>>;
    const ops = Object.values(paths).flatMap((p) => Object.values(p));
    expect(ops.map((o) => o['x-mcp-tool']).filter(Boolean).sort()).toEqual(ALL_TOOLS.map((t) => t.name).sort());
    for (const o of ops) expect(o.operationId).toMatch(/^[a-zA-Z0-9_]{1,64}$/);
    expect(Object.keys(paths)).toContain('/papi/project/{project_id}/pages/{slug}/versions');
    expect(Object.keys(paths)).toContain('/iapi/project/{project_id}/file-downloads/generate-token');
  });
});
