/**
 * The SQL of the shared filters (filter-schemas.ts): each one an indexed condition — recordedAt ranges by the
 * (space, recordedAt, id) btree, metadata containment (`@>`) by the jsonb_path_ops GIN index.
 */
import { Prisma } from "@memory-mirror/db";
import { InvalidInputError } from "../errors.ts";
import type { MemoryFilters } from "./filter-schemas.ts";

/**
 * The range's bounds as instants; a 400 when it is empty. Called before any query, and by callers that may answer
 * without one (a search with no words to look for), so that the mistake is reported however the input is answered.
 */
export function checkedRange(filters: MemoryFilters): { after?: Date; before?: Date } {
  const after = filters.recordedAfter ? new Date(Date.parse(filters.recordedAfter)) : undefined;
  const before = filters.recordedBefore ? new Date(Date.parse(filters.recordedBefore)) : undefined;
  if (after && before && after >= before) {
    throw new InvalidInputError([
      { path: "recordedBefore", message: "recordedBefore must be later than recordedAfter (the range is empty)" },
    ]);
  }
  return { ...(after ? { after } : {}), ...(before ? { before } : {}) };
}

/**
 * The conditions on a table alias (`a."recordedAt" >= …`), none when no filter is given: tags (all of them, `@>` by
 * the tags' GIN index) and the shared filters, for every operation that filters memories.
 */
export function memoryFilterConditions(
  alias: string,
  filters: MemoryFilters & { tags?: readonly string[] | undefined },
): Prisma.Sql[] {
  const column = (name: string) => Prisma.raw(`${alias}."${name}"`);
  const { after, before } = checkedRange(filters);
  const conditions: Prisma.Sql[] = [];
  if (filters.tags?.length) conditions.push(Prisma.sql`${column("tags")} @> ${filters.tags}::text[]`);
  if (after) conditions.push(Prisma.sql`${column("recordedAt")} >= ${after.toISOString()}::timestamptz`);
  if (before) conditions.push(Prisma.sql`${column("recordedAt")} < ${before.toISOString()}::timestamptz`);
  if (filters.metadata)
    conditions.push(Prisma.sql`${column("metadata")} @> ${JSON.stringify(filters.metadata)}::jsonb`);
  return conditions;
}
