import * as z from 'zod';

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

export const jsonObject = z.record(z.string(), z.unknown());

export const isoTime = z.string().describe('ISO-8601 UTC timestamp');

/** The error object of every failed call: REST `error`, and the text of an MCP isError result. */
export const errorBody = z
  .object({
    code: z.number().int().describe('HTTP status'),
    type: z.string().describe('Stable error type, e.g. VERSION_CONFLICT'),
    message: z.string().describe('What went wrong and how to recover'),
  })
  .catchall(z.unknown());
