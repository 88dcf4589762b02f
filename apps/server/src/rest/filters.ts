/**
 * The shared memory filters in REST's words: `recorded_after`, `recorded_before` and `metadata` (a JSON object; in a
 * query string, its JSON text). The schemas are the api package's, so limits and messages are the same.
 */
import { z } from "@hono/zod-openapi";
import {
  type Metadata,
  metadataFilterField,
  recordedAfterField,
  recordedBeforeField,
} from "@memory-mirror/api/schemas";

/** Query strings carry text: a metadata filter arrives as JSON text and is read before the shared schema checks it. */
const queryJson = (value: unknown) => {
  if (typeof value !== "string") return value;
  try {
    return JSON.parse(value) as unknown;
  } catch {
    return value; // the schema then says it must be a JSON object
  }
};

const metadataFilter = metadataFilterField("metadata");

/** For bodies (search, context). */
export const restFilterBody = {
  recorded_after: recordedAfterField("recorded_after").optional(),
  recorded_before: recordedBeforeField("recorded_before").optional(),
  metadata: metadataFilter.optional(),
};

/** For query strings (list): `metadata={"place":"Lisbon"}`, URL-encoded. */
export const restFilterQuery = {
  recorded_after: recordedAfterField("recorded_after").optional(),
  recorded_before: recordedBeforeField("recorded_before").optional(),
  metadata: z.preprocess(queryJson, metadataFilter.optional()).meta({
    description: 'A JSON object, URL-encoded: only memories whose metadata contains it, e.g. {"place":"Lisbon"}.',
  }),
};

/** The api's names for them. */
export function fromRestFilters(input: {
  recorded_after?: string | undefined;
  recorded_before?: string | undefined;
  metadata?: Metadata | undefined;
}) {
  return { recordedAfter: input.recorded_after, recordedBefore: input.recorded_before, metadata: input.metadata };
}
