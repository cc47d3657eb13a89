import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALL_TOOLS } from '../tools/index.js';
import { startServe, type ServeProcess } from './serve-process.js';

const SKILL = readFileSync('skills/sitepub/SKILL.md', 'utf8');
const front = SKILL.slice(4, SKILL.indexOf('\n---', 4));
const blocks = [...SKILL.matchAll(/```bash\n([\s\S]*?)```/g)].map((m) => m[1]!);

/** Every curl command of the recipes as [METHOD, path with the route's parameter names]. */
function curlRoutes(): Array<[string, string]> {
  const script = blocks.join('\n').replace(/\\\n\s*/g, ' ');
  const out: Array<[string, string]> = [];
  for (const line of script.split('\n')) {
    const m = /curl .*"\$SITEPUB_URL(\/[^"?]*)/.exec(line);
    if (!m) continue;
    const method = /-X (\w+)/.exec(line)?.[1] ?? 'GET';
    const p = m[1]!.replace('$SITEPUB_PROJECT', ':project_id');
    out.push([method, p]);
  }
  return out;
}

/** A concrete path matches a route pattern when its slug part is non-empty. */
function matches(pattern: string, p: string): boolean {
  const re = new RegExp(`^${pattern.replace(':project_id', ':project_id').replace(':slug{.+}', '.+').replace(':domain', '[^/]+')}$`);
  return re.test(p);
}

describe('OpenClaw skill', () => {
  it('has AgentSkills front matter with the OpenClaw requirements', () => {
    expect(front).toMatch(/^name: sitepub$/m);
    expect(front).toMatch(/^description: .{80,}/m);
    const env = /requires: \{ env: \[([^\]]+)\]/.exec(front)?.[1]?.split(',').map((s) => s.trim());
    expect(env).toEqual(['SITEPUB_URL', 'SITEPUB_TOKEN', 'SITEPUB_PROJECT']);
    expect(front).toMatch(/primaryEnv: SITEPUB_TOKEN/);
  });

  it('shows a recipe for every REST endpoint, and only endpoints that exist', () => {
    const routes = curlRoutes();
    expect(routes.length).toBeGreaterThanOrEqual(20);
    for (const [method, p] of routes) {
      const hit = ALL_TOOLS.some((t) => t.rest.method === method && matches(t.rest.path, p) && !(t.rest.path.endsWith('{.+}') && /\/(versions|rollback|diff|preview)$/.test(p)));
      expect(hit, `${method} ${p}`).toBe(true);
    }
    for (const t of ALL_TOOLS) {
      const shown = routes.some(([method, p]) => method === t.rest.method && matches(t.rest.path, p));
      expect(shown, `${t.rest.method} ${t.rest.path}`).toBe(true);
    }
  });
});

describe('the skill recipes against a live server', () => {
  let server: ServeProcess;
  let port = 0;
  beforeAll(async () => {
    server = await startServe();
    ({ port } = server);
  });
  afterAll(() => server?.stop());

  it('run top to bottom, every call succeeds, and the site shows the result', () => {
    // One answer per line: curl prints no newline of its own.
    const { token, projectId } = server.firstRun();
    const script = `set -euo pipefail\ncurl() { command curl -f "$@"; echo; }\n${blocks.join("\n")}`;
    const r = spawnSync('bash', ['-c', script], {
      encoding: 'utf8',
      env: { ...process.env, SITEPUB_URL: `http://127.0.0.1:${port}`, SITEPUB_TOKEN: token, SITEPUB_PROJECT: projectId },
      timeout: 60_000,
    });
    expect(r.status, r.stderr).toBe(0);
    const answers = r.stdout.split('\n').filter((l) => l.startsWith('{'));
    expect(answers.length).toBeGreaterThanOrEqual(20);
    for (const a of answers) expect(JSON.parse(a), a.slice(0, 200)).toMatchObject({ success: true });
    expect(r.stdout).toContain(`Give the buyer: http://127.0.0.1:${port}/d/spd_`);
    const page = spawnSync('curl', ['-s', '-H', `Host: mysite.localhost:${port}`, `http://127.0.0.1:${port}/`], { encoding: 'utf8' });
    expect(page.stdout).toContain('<h1>Welcome to Crumb & Co.</h1>');
  });
});
