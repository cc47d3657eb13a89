import * as z from 'zod';
import { loneSurrogateAt } from '../src/core/slug.js';

export const projectId = z
  .string()
  .min(1)
  .max(64)
  .optional()
  .describe("Project id. Optional: defaults to the token's (or the session's) project.");

export const pageSlug = z
  .string()
  .min(1)
  .max(255)
  .describe('Page path relative to the site root, e.g. "index.html" (served at /), "about.html", "blog/post-1.html". No leading "/", no "..".');

export const assetSlug = z
  .string()
  .min(1)
  .max(255)
  .describe('Asset path relative to the site root, with an allowed extension, e.g. "images/logo.png", "files/ebook.pdf", "css/site.css".');

export const limit = (def: number, max: number) =>
  z.number().int().min(1).max(max).optional().describe(`Page size (default ${def}, max ${max}).`);
export const offset = z.number().int().min(0).max(1_000_000_000).optional().describe('Number of items to skip (default 0).');

/**
 * For text stored outside the tool path (parseToolInput checks every string of tool arguments):
 * a lone surrogate has no UTF-8 form, so the database would keep something else than was sent.
 */
export const wellFormedText = (s: string): boolean => loneSurrogateAt(s) < 0;
export const NOT_WELL_FORMED = 'contains a lone UTF-16 surrogate, which is not valid Unicode text; send well-formed text';

/** Any JSON object, as stored. Output schemas only: inputs use `boundedJsonObject`. */
export const jsonObject = z.record(z.string(), z.unknown());

/** Levels of objects and arrays a JSON argument may have, the argument itself being level 1. */
export const MAX_JSON_DEPTH = 8;

/**
 * What is wrong with a JSON object argument, or undefined. Iterative and stopping at the first
 * level too deep, so no input can exhaust the stack here (JSON.stringify, which is recursive, is
 * only reached once the depth is known to be small).
 */
export function jsonObjectProblem(value: Record<string, unknown>, maxBytes: number): string | undefined {
  const stack: Array<[unknown, number]> = [[value, 1]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    if (depth > MAX_JSON_DEPTH) {
      return `the object is nested more than ${MAX_JSON_DEPTH} levels deep (objects and arrays inside each other). Use a shallow object of simple values, e.g. {"title": "About us", "language": "en"}`;
    }
    for (const child of Array.isArray(v) ? v : Object.values(v)) if (child !== null && typeof child === 'object') stack.push([child, depth + 1]);
  }
  const bytes = Buffer.byteLength(JSON.stringify(value), 'utf8');
  if (bytes > maxBytes) return `the object is ${bytes} bytes of JSON; at most ${maxBytes} bytes are allowed. Keep only short values here and put long text in the page or an asset`;
  return undefined;
}

/**
 * A JSON object argument (page meta and SEO, token metadata), bounded in depth and size so that
 * storing and serialising it cannot fail. The bounds are refinements: they do not change the
 * JSON Schema clients see.
 */
export function boundedJsonObject(maxBytes: number) {
  return z.record(z.string(), z.unknown()).superRefine((value, ctx) => {
    const problem = jsonObjectProblem(value, maxBytes);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });
}

/**
 * The JSON Schema clients are shown for a schema that accepts more than it advertises (a legacy
 * form kept for REST callers). tools/json-schema.ts advertises the registered schema instead.
 */
export const ADVERTISED = new WeakMap<z.ZodType, z.ZodType>();
export function advertiseAs<T extends z.ZodType>(accepted: T, shown: z.ZodType): T {
  ADVERTISED.set(accepted, shown);
  return accepted;
}

/**
 * A free-form object argument (page meta, page SEO) shown to clients with its known keys only, as
 * a closed object of short strings (what every model's function-calling dialect accepts). Other
 * keys are still accepted, as they were before the keys were declared: bounded in depth and size.
 */
export function knownKeysObject(maxBytes: number, keys: Record<string, z.ZodString>) {
  const optional = Object.fromEntries(Object.entries(keys).map(([k, v]) => [k, v.optional()]));
  return advertiseAs(boundedJsonObject(maxBytes), z.strictObject(optional));
}

/** Pairs a key/value list may hold. */
const MAX_METADATA_ENTRIES = 50;

/**
 * Key/value data kept with a record (download tokens' metadata): shown to clients as a bounded list
 * of {key, value} string pairs; stored and returned as a JSON object. The object form
 * ({"order_id": "1042"}) is still accepted on input, as before.
 */
export function keyValueList(maxBytes: number) {
  const pair = z.strictObject({
    key: z.string().min(1).max(100).describe('Name, e.g. "order_id"'),
    value: z.string().max(1000).describe('Value, e.g. "1042"'),
  });
  const list = z.array(pair).max(MAX_METADATA_ENTRIES);
  const legacy = boundedJsonObject(maxBytes);
  const accepted = z.unknown().transform((v, ctx): Record<string, unknown> => {
    const report = (issues: z.core.$ZodIssue[]): never => {
      for (const i of issues) ctx.addIssue({ code: 'custom', message: i.message, path: i.path as PropertyKey[] } as never);
      return z.NEVER as never;
    };
    if (!Array.isArray(v)) {
      const r = legacy.safeParse(v);
      return r.success ? r.data : report(r.error.issues);
    }
    const r = list.safeParse(v);
    if (!r.success) return report(r.error.issues);
    const out: Record<string, unknown> = {};
    for (const [i, { key, value }] of r.data.entries()) {
      if (Object.hasOwn(out, key)) return report([{ code: 'custom', message: `key "${key}" appears twice; give each key once`, path: [i, 'key'], input: v } as never]);
      out[key] = value;
    }
    const problem = jsonObjectProblem(out, maxBytes);
    return problem ? report([{ code: 'custom', message: problem, path: [], input: v } as never]) : out;
  });
  return advertiseAs(accepted, list);
}

export const isoTime = z.string().describe('ISO-8601 UTC timestamp');

/** The error object of every failed call: REST `error`, and the text of an MCP isError result. */
export const errorBody = z
  .object({
    code: z.number().int().describe('HTTP status'),
    type: z.string().describe('Stable error type, e.g. VERSION_CONFLICT'),
    message: z.string().describe('What went wrong and how to recover'),
  })
  .catchall(z.unknown());
