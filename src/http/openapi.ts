import * as z from 'zod';
import { projectCreateInput, projectInfo, projectListOutput } from '../../schemas/project.js';
import { ALL_TOOLS, type ToolDef } from '../../tools/index.js';
import { ERROR_STATUS } from '../core/errors.js';
import { SERVER_INFO } from '../mcp/server.js';

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

function operation(def: ToolDef): { path: string; method: string; op: Json } {
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
    tags: [def.toolset],
    'x-mcp-tool': def.name,
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
    for (const def of ALL_TOOLS) {
      const { path, method, op } = operation(def);
      paths[path] = { ...(paths[path] ?? {}), [method]: op };
    }
    const ok = (schema: Json) => ({ description: 'Success', content: { 'application/json': { schema: { type: 'object', properties: { success: { const: true }, data: schema } } } } });
    const err = { description: 'Error', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } };
    paths['/papi/projects'] = {
      get: { operationId: 'projects_list', summary: 'List projects (account token)', tags: ['account'], responses: { '200': ok(schemaOf(projectListOutput, 'output')), default: err } },
      post: {
        operationId: 'projects_create',
        summary: 'Create a project (account token with write scope)',
        tags: ['account'],
        requestBody: { required: true, content: { 'application/json': { schema: schemaOf(projectCreateInput, 'input') } } },
        responses: { '201': ok(schemaOf(projectInfo, 'output')), default: err },
      },
    };
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
