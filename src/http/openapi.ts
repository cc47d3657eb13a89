import * as z from 'zod';
import { ACCOUNT_ENDPOINTS } from '../../tools/account.js';
import { ALL_TOOLS, type ToolDef } from '../../tools/index.js';
import { ERROR_STATUS } from '../core/errors.js';
import { SERVER_INFO } from '../server-info.js';

type Json = Record<string, unknown>;

function schemaOf(s: z.ZodType, io: 'input' | 'output'): Json {
  const js = z.toJSONSchema(s, { target: 'draft-2020-12', io, unrepresentable: 'any' }) as Json;
  delete js.$schema;
  return js;
}

const errorEnvelope: Json = {
  type: 'object',
  required: ['success', 'error'],
  properties: {
    success: { const: false },
    error: {
      type: 'object',
      required: ['code', 'type', 'message'],
      properties: {
        code: { type: 'integer' },
        type: { type: 'string', enum: Object.keys(ERROR_STATUS) },
        message: { type: 'string', description: 'What went wrong and how to recover' },
      },
    },
  },
};

/** What an OpenAPI operation is generated from: a tool, or an account endpoint (tagged 'account'). */
type Endpoint = Pick<ToolDef, 'name' | 'title' | 'description' | 'input' | 'output' | 'rest'> & { tag: string; mcpTool?: string };

function operation(def: Endpoint): { path: string; method: string; op: Json } {
  const pathParams = [...def.rest.path.matchAll(/:([a-z_]+)/g)].map((m) => m[1]!);
  const path = def.rest.path.replace(/:([a-z_]+)(\{[^}]*\})?/g, '{$1}');
  const input = schemaOf(def.input, 'input');
  const props = { ...((input.properties as Record<string, Json>) ?? {}) };
  const required = new Set((input.required as string[]) ?? []);
  const parameters: Json[] = pathParams.map((name) => ({
    name,
    in: 'path',
    required: true,
    schema: { type: 'string' },
    description: name === 'slug' ? 'Page or asset path; may contain "/" (send it unencoded, e.g. blog/post-1.html)' : 'Project id',
  }));
  for (const p of pathParams) delete props[p];
  const op: Json = {
    operationId: def.name.replace(/-/g, '_'),
    summary: def.title,
    description: def.description,
    tags: [def.tag],
    ...(def.mcpTool ? { 'x-mcp-tool': def.mcpTool } : {}),
  };
  const method = def.rest.method.toLowerCase();
  if (method === 'get' || method === 'delete') {
    for (const [name, schema] of Object.entries(props)) {
      parameters.push({ name, in: 'query', required: required.has(name), schema, ...(schema.description ? { description: schema.description } : {}) });
    }
  } else {
    const req = [...required].filter((r) => !pathParams.includes(r));
    op.requestBody = {
      required: true,
      content: { 'application/json': { schema: { type: 'object', properties: props, ...(req.length ? { required: req } : {}) } } },
    };
  }
  op.parameters = parameters;
  const ok = String(def.rest.status ?? 200);
  op.responses = {
    [ok]: {
      description: 'Success',
      content: {
        'application/json': {
          schema: { type: 'object', required: ['success', 'data'], properties: { success: { const: true }, data: schemaOf(def.output, 'output') } },
        },
      },
    },
    default: { description: 'Error (see error.type)', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } },
  };
  return { path, method, op };
}

let cached: Json | undefined;

/** OpenAPI 3.1 generated from the same tool definitions as the MCP tools and REST routes. */
export function openApiDocument(serverUrl: string): Json {
  if (!cached) {
    const paths: Record<string, Json> = {};
    const endpoints: Endpoint[] = [...ALL_TOOLS.map((d) => ({ ...d, tag: d.toolset, mcpTool: d.name })), ...ACCOUNT_ENDPOINTS.map((e) => ({ ...e, tag: 'account' }))];
    for (const def of endpoints) {
      const { path, method, op } = operation(def);
      paths[path] = { ...(paths[path] ?? {}), [method]: op };
    }
    cached = {
      openapi: '3.1.0',
      info: {
        title: 'sitepub API',
        version: SERVER_INFO.version,
        description: 'Pages, assets, versions and secure download links of sitepub sites. The same operations are MCP tools at /mcp.',
      },
      components: {
        securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'Project or account token (spp_... / spa_...)' } },
        schemas: { Error: errorEnvelope },
      },
      security: [{ bearer: [] }],
      paths,
    };
  }
  return { ...cached, servers: [{ url: serverUrl }] };
}
