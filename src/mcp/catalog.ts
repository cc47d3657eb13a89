import type { Tool } from '@modelcontextprotocol/server';
import { appTools, type AppToolDef } from '../../tools/apps.js';
import type { ToolDef } from '../../tools/index.js';
import { APP_TOOL_LISTING, toolUiMeta } from './apps/catalog.js';
import type { UiSupport } from './apps/ui.js';
import { toolEntry } from './tool-entry.js';

export interface Catalog {
  readonly tools: readonly ToolDef[];
  /** tools/list for a client that does not render MCP Apps: the model's tools, nothing else. */
  readonly listing: { tools: Tool[] };
  readonly byName: ReadonlyMap<string, ToolDef>;
  readonly names: ReadonlySet<string>;
  /** The app-only tools this selection can run (tools/apps.ts): all of them with the pages toolset, none without. */
  readonly appTools: ReadonlyMap<string, AppToolDef>;
  /** The tools/list answer for a client, by whether it renders MCP Apps (src/mcp/apps/ui.ts uiSupport). */
  listingFor(ui: UiSupport): { tools: Tool[] };
}

const cache = new Map<string, Catalog>();

/**
 * The tools/list answers are built once per tool selection, not per request: one per kind of client.
 * - `absent` (the client's capabilities are known and name no MCP Apps): exactly the model's tools.
 * - `unknown` (a 2025-era request over stateless HTTP, which carries no capabilities; ChatGPT and
 *   claude.ai connect this way): the same tools, the page and site tools with `_meta.ui.resourceUri`,
 *   which a host that renders MCP Apps follows and any other client ignores.
 * - `declared` (the client named the extension): that, plus the app-only tools (`visibility: ["app"]`),
 *   which such a host keeps from the model; the write one only where the selection lists write tools.
 */
export function catalogFor(tools: readonly ToolDef[]): Catalog {
  const key = tools.map((t) => t.name).join(',');
  const hit = cache.get(key);
  if (hit) return hit;
  const plain = tools.map(toolEntry);
  const linked = plain.map((t): Tool => {
    const meta = toolUiMeta(t.name);
    return meta === undefined ? t : { ...t, _meta: meta };
  });
  const apps = tools.some((t) => t.toolset === 'pages') ? appTools : [];
  const writes = tools.some((t) => !t.annotations.readOnlyHint);
  const listed = new Set(apps.filter((t) => writes || t.annotations.readOnlyHint).map((t) => t.name));
  const listings: Record<UiSupport, { tools: Tool[] }> = {
    absent: { tools: plain },
    unknown: { tools: linked },
    declared: { tools: [...linked, ...APP_TOOL_LISTING.filter((t) => listed.has(t.name))] },
  };
  const c: Catalog = {
    tools,
    listing: listings.absent,
    byName: new Map(tools.map((t) => [t.name, t])),
    names: new Set(tools.map((t) => t.name)),
    appTools: new Map(apps.map((t) => [t.name, t])),
    listingFor: (ui) => listings[ui],
  };
  cache.set(key, c);
  return c;
}
