/**
 * The filters every way of reading many memories shares (list, export, search, context): a recording-time range and
 * metadata containment. Values only (zod); the SQL they become is in filters.ts.
 */
import { z } from "zod";
import { type Metadata, metadataFilterField } from "./metadata-schemas.ts";

/** A range bound: any ISO-8601 date-time with an offset (kept as sent; filters.ts reads the instant). */
const timeBound = (name: string, description: string) =>
  z.iso
    .datetime({
      offset: true,
      error: `${name} must be an ISO-8601 date-time with an offset, e.g. 2019-07-01T00:00:00Z`,
    })
    .meta({ description, example: "2019-06-21T00:00:00Z" });

/** Named as the caller spells it (`recorded_after` over REST). */
export const recordedAfterField = (name = "recordedAfter") =>
  timeBound(
    name,
    "Only memories recorded at or after this instant (inclusive); memories without recordedAt are left out.",
  );
export const recordedBeforeField = (name = "recordedBefore") =>
  timeBound(name, "Only memories recorded before this instant (exclusive); memories without recordedAt are left out.");

/** The fields, to spread into each operation's input object. */
export const memoryFilterFields = {
  recordedAfter: recordedAfterField().optional(),
  recordedBefore: recordedBeforeField().optional(),
  metadata: metadataFilterField().optional(),
};

export interface MemoryFilters {
  recordedAfter?: string | undefined;
  recordedBefore?: string | undefined;
  metadata?: Metadata | undefined;
}
