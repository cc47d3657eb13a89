import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ALL_TOOLS } from '../tools/index.js';

describe('documentation stays in sync with the code', () => {
  it('the README tool table lists exactly the registered tools, in order', () => {
    const readme = readFileSync('README.md', 'utf8');
    const table = readme.slice(readme.indexOf('<!-- tools:start -->'), readme.indexOf('<!-- tools:end -->'));
    const names = [...table.matchAll(/^\| `([^`]+)` \|/gm)].map((m) => m[1]);
    expect(names).toEqual(ALL_TOOLS.map((t) => t.name));
  });

  it('mcp.json is a valid stdio client config for this package', () => {
    const cfg = JSON.parse(readFileSync('mcp.json', 'utf8')) as { mcpServers: Record<string, { command: string; args: string[] }> };
    const s = cfg.mcpServers.sitepub!;
    // Never `npx sitepub`: outside this folder npx would fetch whatever the npm registry has under that name.
    expect(s.command).toBe('node');
    expect(s.args).toEqual(['dist/sitepub.mjs', 'mcp']);
    const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { name: string; bin: Record<string, string> };
    expect(pkg.bin.sitepub).toBe('dist/sitepub.mjs');
    expect(pkg.name).toBe('sitepub');
  });
});
