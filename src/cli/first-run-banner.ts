import type { Core } from '../core/core.js';
import type { FirstOwner, FirstRun } from '../bootstrap.js';

/**
 * What `sitepub serve` prints on its first start: the new project's token, shown this once
 * (only its hash is stored), an MCP client config a user can paste as it is, and a one-time
 * sign-in link to the platform when the first owner was just made.
 */
export function firstRunBanner(first: FirstRun | undefined, owner: FirstOwner | undefined, platformUrl: string): string {
  const lines: string[] = [''];
  if (first) {
    lines.push(
      '  sitepub: first start. A project was created for you.',
      `  Site:    ${first.project.url}/`,
      `  Project: ${first.project.id}`,
      `  Token:   ${first.token.token}`,
      '  (The token is shown only now; sitepub stores only its hash. Make another with `sitepub token create`.)',
      '',
      '  MCP client config (Streamable HTTP, for clients that send a header: Claude Code, Cursor, VS Code), ready to paste:',
      ...clientConfig(first.token.token, platformUrl)
        .split('\n')
        .map((l) => `  ${l}`),
      `  ChatGPT, claude.ai and Le Chat connect with OAuth instead: give them ${platformUrl}/mcp and sign in when asked.`,
      '',
    );
  }
  if (owner) {
    lines.push(
      `  Sign in to the platform (one-time link, valid until ${owner.expiresAt}):`,
      `  ${owner.loginUrl}`,
      `  Owner ${owner.email} has no password. Make your own account with`,
      '  `printf %s "$PASSWORD" | sitepub owner create --email you@example.com --password-stdin`,',
      `  or get a new link with \`sitepub owner login-link --email ${owner.email}\`.`,
      '',
    );
  }
  return lines.join('\n');
}

function clientConfig(token: string, url: string): string {
  return JSON.stringify({ mcpServers: { sitepub: { type: 'http', url: `${url}/mcp`, headers: { Authorization: `Bearer ${token}` } } } }, null, 2);
}

/** A start that shows no token (the project existed already): how to get one, and how to sign in. */
export async function noTokenShownHint(core: Core): Promise<string> {
  const projects = await core.projects.list();
  const owners = await core.owners.list();
  const project = projects.length === 1 ? projects[0]!.id : 'ID';
  const email = owners.length === 1 ? owners[0]!.email : 'EMAIL';
  return [
    `  Tokens are shown only when made. A new one: \`sitepub token create --project ${project}\`${projects.length > 1 ? ' (`sitepub project list` shows ids)' : ''}.`,
    `  Sign in to the platform: \`sitepub owner login-link --email ${email}\`.`,
  ].join('\n');
}
