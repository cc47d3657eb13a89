/**
 * docs/ is the maintainers' reference of what the code implements. These checks walk the code's own
 * lists (commands and options, environment variables read, tools, REST routes, error types) and
 * fail when one is missing from its page, or when a page lists one the code does not have.
 * docs/tools.md is generated: it must be exactly what scripts/gen-tool-docs.mjs makes from the
 * built tool definitions (the global setup rebuilds dist/ when the code is newer).
 * test/docs.test.ts covers the README tool table and mcp.json; nothing here repeats it.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { HELP } from '../src/cli/help.js';
import { COMMAND_OPTIONS, type Command } from '../src/cli/options.js';
import { ERROR_STATUS, ERROR_TYPES } from '../src/core/errors.js';
import { ACCOUNT_ENDPOINTS } from '../tools/account.js';
import { ALL_TOOLS } from '../tools/index.js';

const doc = (name: string): string => readFileSync(path.join('docs', name), 'utf8');
const escapeRe = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The text under a `## heading` up to the next heading of level 2. */
function section(text: string, heading: string): string | undefined {
  const start = text.indexOf(`\n${heading}\n`);
  if (start < 0) return undefined;
  const next = text.indexOf('\n## ', start + heading.length + 2);
  return text.slice(start, next < 0 ? undefined : next);
}

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) out.push(...sourceFiles(p));
    else if (/\.(ts|mts|js|mjs)$/.test(name)) out.push(p);
  }
  return out;
}

describe('docs/ describes what the code implements', () => {
  it('docs/README.md links every page of docs/', () => {
    const index = doc('README.md');
    const pages = readdirSync('docs').filter((f) => f.endsWith('.md') && f !== 'README.md');
    expect(pages.length).toBeGreaterThanOrEqual(6);
    for (const p of pages) expect(index, `docs/README.md does not link ${p}`).toContain(`](${p})`);
  });

  describe('commands.md', () => {
    const text = doc('commands.md');
    // The commands `sitepub --help` lists, in its own words.
    const helpList = HELP.main.slice(HELP.main.indexOf('Commands:'), HELP.main.indexOf('\n\n', HELP.main.indexOf('Commands:')));
    const listed = [...helpList.matchAll(/^ {2}([a-z]+(?: [a-z-]+)?) {2,}/gm)].map((m) => m[1]!);

    it('the help lists every command the CLI parses', () => {
      expect([...listed].sort()).toEqual(Object.keys(COMMAND_OPTIONS).sort());
    });

    it.each(listed)('has a section for `sitepub %s` naming each of its options', (command) => {
      const body = section(text, `## \`sitepub ${command}\``);
      expect(body, `docs/commands.md has no "## \`sitepub ${command}\`" section`).toBeDefined();
      // --help (-h), which every command takes, is described once, in the rules shared by every command.
      for (const option of Object.keys(COMMAND_OPTIONS[command as Command]).filter((o) => o !== 'help')) {
        expect(body, `docs/commands.md, sitepub ${command}: option --${option} is not described`).toMatch(new RegExp(`--${escapeRe(option)}\\b`));
      }
    });

    it('says once that every command takes --help (-h)', () => {
      expect(Object.values(COMMAND_OPTIONS).every((o) => 'help' in o)).toBe(true);
      const shared = section(text, '## Rules shared by every command');
      expect(shared).toMatch(/--help/);
      expect(shared).toMatch(/`-h`/);
    });

    it('documents no command the CLI does not have', () => {
      const headed = [...text.matchAll(/^## `sitepub ([a-z -]+)`$/gm)].map((m) => m[1]!);
      expect(headed.sort()).toEqual([...listed].sort());
    });
  });

  it('configuration.md names every environment variable the server reads', () => {
    const text = doc('configuration.md');
    const read = new Set<string>();
    for (const file of ['src', 'tools', 'schemas'].flatMap(sourceFiles)) {
      const src = readFileSync(file, 'utf8');
      for (const m of src.matchAll(/(?<![A-Za-z0-9_])SITEPUB_[A-Z0-9_]*[A-Z0-9]/g)) read.add(m[0]);
      for (const m of src.matchAll(/\benv\.([A-Z][A-Z0-9_]*)\b/g)) read.add(m[1]!);
      for (const m of src.matchAll(/\benv\[['"]([A-Z][A-Z0-9_]*)['"]\]/g)) read.add(m[1]!);
    }
    // The scan itself works: these are read through `env.` in src/config.ts.
    for (const known of ['PORT', 'HOST', 'DATABASE_URL', 'SITEPUB_DATA']) expect(read).toContain(known);
    const missing = [...read].filter((v) => !text.includes(`\`${v}\``)).sort();
    expect(missing, 'environment variables read by the code but not in docs/configuration.md').toEqual([]);
  });

  describe('tools.md', () => {
    const text = doc('tools.md');

    it.each(ALL_TOOLS.map((t) => t.name))('has a section for %s', (name) => {
      expect(text).toContain(`\n### \`${name}\`\n`);
    });

    it('is what scripts/gen-tool-docs.mjs makes from the tool definitions', () => {
      const r = spawnSync(process.execPath, ['scripts/gen-tool-docs.mjs', '--check'], { encoding: 'utf8' });
      expect(r.status, `${r.stderr}${r.stdout}`).toBe(0);
    });
  });

  describe('rest.md', () => {
    const text = doc('rest.md');
    const routes = [
      ...ALL_TOOLS.map((t) => ({ name: t.name, rest: t.rest, tool: true })),
      ...ACCOUNT_ENDPOINTS.map((e) => ({ name: e.name, rest: e.rest, tool: false })),
    ].map((r) => ({ ...r, path: r.rest.path.replace(/:([a-z_]+)(\{[^}]*\})?/g, '{$1}') }));

    it.each(routes.map((r) => [`${r.rest.method} ${r.path}`, r] as const))('lists %s', (_label, r) => {
      const row = new RegExp(`^\\| \`${r.rest.method}\` \\| \`${escapeRe(r.path)}\` \\|(.*)$`, 'm').exec(text);
      expect(row, `docs/rest.md has no table row for ${r.rest.method} ${r.path}`).not.toBeNull();
      if (r.tool) expect(row![1]).toContain(`\`${r.name}\``);
      expect(row![1]).toContain(String(r.rest.status ?? 200));
    });

    it('lists no /papi or /iapi route the code does not have', () => {
      const known = new Set(routes.map((r) => `${r.rest.method} ${r.path}`));
      const documented = [...text.matchAll(/^\| `([A-Z]+)` \| `(\/[pi]api\/[^`]*)` \|/gm)].map((m) => `${m[1]} ${m[2]}`);
      expect(documented.filter((d) => !known.has(d))).toEqual([]);
    });
  });

  describe('errors.md', () => {
    const text = doc('errors.md');

    it.each(ERROR_TYPES)('lists %s with its HTTP status', (type) => {
      expect(text).toMatch(new RegExp(`^\\| \`${type}\` \\| ${ERROR_STATUS[type]} \\|`, 'm'));
    });

    it('lists no error type the code does not have', () => {
      const documented = [...text.matchAll(/^\| `([A-Z_]+)` \| \d{3} \|/gm)].map((m) => m[1]!);
      expect(documented.filter((t) => !(t in ERROR_STATUS))).toEqual([]);
    });
  });

  it("the repository's Markdown cites nothing outside the repository", () => {
    const files = [
      'README.md',
      ...readdirSync('docs').map((f) => path.join('docs', f)),
      ...readdirSync('skills', { recursive: true, encoding: 'utf8' }).map((f) => path.join('skills', f)),
    ].filter((f) => f.endsWith('.md'));
    const outside = /\.\.\/shared|CONTRACT\.md|STYLE\.md|papi\.txt|file-downloads\.txt|\bthe contract\b/i;
    const hits = files.flatMap((f) =>
      readFileSync(f, 'utf8')
        .split('\n')
        .flatMap((line, i) => (outside.test(line) ? [`${f}:${i + 1}: ${line.trim()}`] : [])),
    );
    expect(hits).toEqual([]);
  });
});
