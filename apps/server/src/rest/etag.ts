/**
 * ETags and If-Match for the REST analysis routes. An analysis's ETag is its version and id (`"3.cmw…"`): the
 * version changes with every change, and the id keeps an analysis deleted and created again (version 1 again)
 * from matching an ETag read before.
 */
import { z } from "@hono/zod-openapi";

export const etagOf = (row: { id: string; version: number }): string => `"${row.version}.${row.id}"`;

/**
 * The entity tags an If-Match names, for strong comparison (weak `W/` tags never match, as RFC 9110 says), or
 * undefined for no condition (absent, or `*`: the routes already require the analysis to exist).
 */
export function parseIfMatch(header: string | undefined): string[] | undefined {
  if (header === undefined || header.trim() === "*") return undefined;
  return [...header.matchAll(/(W\/)?"([^"]*)"/g)].flatMap(([, weak, tag]) => (weak || tag === undefined ? [] : [tag]));
}

export const ifMatchHeaders = z.object({
  "if-match": z.string().optional().meta({
    description: "The ETag of the analysis as last read: the write happens only if it is still current (else 412).",
  }),
});

export const etagHeader = {
  ETag: {
    description: "The analysis's version and id; send it back as If-Match to write only if nothing changed.",
    schema: { type: "string" as const },
  },
};
