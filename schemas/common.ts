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

export const isoTime = z.string().describe('ISO-8601 UTC timestamp');

/** The error object of every failed call: REST `error`, and the text of an MCP isError result. */
export const errorBody = z
  .object({
    code: z.number().int().describe('HTTP status'),
    type: z.string().describe('Stable error type, e.g. VERSION_CONFLICT'),
    message: z.string().describe('What went wrong and how to recover'),
  })
  .catchall(z.unknown());
