import type { Tool } from '@modelcontextprotocol/server';
import type { ToolDef } from '../../tools/index.js';
import { jsonSchemaOf } from '../../tools/json-schema.js';

export interface Catalog {
  readonly tools: readonly ToolDef[];
  readonly listing: { tools: Tool[] };
  readonly byName: ReadonlyMap<string, ToolDef>;
  readonly names: ReadonlySet<string>;
}

const cache = new Map<string, Catalog>();

/** The tools/list answer is built once per tool selection, not per request. */
export function catalogFor(tools: readonly ToolDef[]): Catalog {
  const key = tools.map((t) => t.name).join(',');
  const hit = cache.get(key);
  if (hit) return hit;
  const listing = {
    tools: tools.map(
      (t): Tool => ({
        name: t.name,
        title: t.title,
        description: t.description,
        inputSchema: jsonSchemaOf(t.input, 'input') as Tool['inputSchema'],
        outputSchema: jsonSchemaOf(t.output, 'output') as Tool['outputSchema'],
        annotations: { title: t.title, ...t.annotations },
      }),
    ),
  };
  const c: Catalog = { tools, listing, byName: new Map(tools.map((t) => [t.name, t])), names: new Set(tools.map((t) => t.name)) };
  cache.set(key, c);
  return c;
}
