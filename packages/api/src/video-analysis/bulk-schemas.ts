/**
 * Inputs and outputs of the bulk operations (bulk.ts): upsertMany, which also restores exports, and byVideoIds and
 * deleteMany, each up to BULK_MAX_ITEMS items per call. Values only, like schemas.ts, whose field schemas they reuse
 * so every limit and message stays defined once.
 */
import { z } from "zod";
import { utcDateTimeInput } from "../fields.ts";
import { BULK_MAX_ITEMS, RESTORE_MAX_AHEAD_MS, RESTORE_VERSION_MAX } from "../limits.ts";
import { metadataField } from "./metadata-schemas.ts";
import { recordedAtField } from "./recorded-at-schemas.ts";
import { descriptionField, embeddingField, tagsField, videoAnalysisSchema, videoIdField } from "./schemas.ts";

/**
 * A restored createdAt/updatedAt: never later than a day ahead of this server's clock. Later writes move updatedAt
 * past the stored one, so a far-future value (9999-12-31) would push the next write beyond what the column and
 * every reader can hold.
 */
const restoredTime = (name: string) =>
  utcDateTimeInput(name).refine(
    (value) => Date.parse(value) <= Date.now() + RESTORE_MAX_AHEAD_MS,
    `${name} must not be more than a day ahead of the server's clock`,
  );

/**
 * A whole number such as 1000000000 as "1,000,000,000" (whole numbers only: a fraction or an exponent would be
 * grouped wrongly), without `toLocaleString`: formatting a number through Intl at import maps ~5 MB of
 * node's ICU data and ~3 MB of ICU's own state into every server process for as long as it runs (docs/performance.md,
 * "Peak memory under load: what it is made of").
 */
const withThousands = (n: number) => String(n).replace(/\B(?=(\d{3})+$)/g, ",");

/** The ids this service makes (cuid, or UUID in raw inserts); a restore keeps them. */
const ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * One item of upsertMany, and one line of an export. `version`, `createdAt` and `updatedAt` restore an analysis
 * exactly as exported (all three or none), `id` too when no other analysis has it; only admin keys may send them,
 * so a writer cannot forge history.
 */
export const upsertManyItem = z
  .object({
    id: z
      .string({ error: "id must be a string" })
      .regex(ID_PATTERN, "id must be 1–64 characters of letters, digits, _ and -")
      .optional()
      .meta({ description: "Restore only (admin): the id to keep, when no other analysis has it." }),
    videoId: videoIdField(),
    description: descriptionField(),
    tags: tagsField.optional(),
    embedding: embeddingField.nullable().optional(),
    recordedAt: recordedAtField().nullable().optional(),
    metadata: metadataField().nullable().optional(),
    version: z
      .number({ error: "version must be a number" })
      .int("version must be a whole number")
      .min(1, "version must be at least 1")
      // Each later write adds one: a row restored near the column's maximum could never be written again.
      .max(RESTORE_VERSION_MAX, `version must be at most ${withThousands(RESTORE_VERSION_MAX)}`)
      .optional()
      .meta({ description: "Restore only (admin): the version to store." }),
    createdAt: restoredTime("createdAt").optional().meta({ description: "Restore only (admin)." }),
    updatedAt: restoredTime("updatedAt").optional().meta({ description: "Restore only (admin)." }),
  })
  .strict()
  .superRefine((item, ctx) => {
    const given = [item.version, item.createdAt, item.updatedAt].filter((v) => v !== undefined).length;
    if (given !== 0 && given !== 3) {
      ctx.addIssue({
        code: "custom",
        path: ["version"],
        message: "version, createdAt and updatedAt restore an analysis together: give all three or none",
      });
    } else if (given === 0 && item.id !== undefined) {
      ctx.addIssue({
        code: "custom",
        path: ["id"],
        message: "id is kept only by a restore: give version, createdAt and updatedAt with it",
      });
    } else if (
      item.createdAt !== undefined &&
      item.updatedAt !== undefined &&
      Date.parse(item.createdAt) > Date.parse(item.updatedAt)
    ) {
      ctx.addIssue({ code: "custom", path: ["updatedAt"], message: "updatedAt must not be before createdAt" });
    }
  });

export const isRestoreItem = (item: UpsertManyItem): boolean => item.version !== undefined;

/**
 * Whether an upsertMany input, as the caller sent it (not yet validated), restores anything: what makes the call
 * need `admin` (its procedure's inputScopes). Decided on the raw input so every transport applies it before
 * anything else reads the items; an item is a restore by its `version`, as isRestoreItem decides after validation.
 */
export function sendsRestoreItems(input: unknown): boolean {
  const items: unknown = typeof input === "object" && input !== null ? Reflect.get(input, "items") : undefined;
  return (
    Array.isArray(items) &&
    items.some(
      (item: unknown) => typeof item === "object" && item !== null && Reflect.get(item, "version") !== undefined,
    )
  );
}

const itemsField = <T extends z.ZodType>(item: T, what: string) =>
  z
    .array(item, { error: `${what} must be an array` })
    .min(1, `${what} must hold at least one item`)
    .max(BULK_MAX_ITEMS, `${what} must hold at most ${BULK_MAX_ITEMS} items per call`);

export const upsertManyInput = z
  .object({ items: itemsField(upsertManyItem, "items") })
  .strict()
  // A videoId (or a restored id) twice in one call has no single meaning: refused, naming both positions.
  .superRefine(({ items }, ctx) => {
    for (const field of ["videoId", "id"] as const) {
      const first = new Map<string, number>();
      items.forEach((item, index) => {
        const value = item[field];
        if (value === undefined) return;
        const earlier = first.get(value);
        if (earlier === undefined) first.set(value, index);
        else
          ctx.addIssue({
            code: "custom",
            path: ["items", index, field],
            message: `${field} ${JSON.stringify(value)} appears twice (items ${earlier} and ${index})`,
          });
      });
    }
  });

export const upsertManyOutput = z.object({
  created: z.number().int(),
  updated: z.number().int(),
  unchanged: z.number().int(),
});

// byVideoIds and deleteMany take the same list of videoIds.--------------------------------------------------------------------------------

const videoIdsInput = z.object({ videoIds: itemsField(videoIdField(), "videoIds") }).strict();

export const byVideoIdsInput = videoIdsInput;
export const byVideoIdsOutput = z.object({
  items: z
    .array(videoAnalysisSchema.nullable())
    .meta({ description: "In the order asked; null where a video has no analysis." }),
});

export const deleteManyInput = videoIdsInput;
export const deleteManyOutput = z.object({
  deleted: z.number().int().meta({ description: "How many analyses existed and were deleted." }),
});

export type UpsertManyItem = z.output<typeof upsertManyItem>;
export type UpsertManyInput = z.output<typeof upsertManyInput>;
export type UpsertManyResult = z.output<typeof upsertManyOutput>;
export type VideoIdsInput = z.output<typeof videoIdsInput>;
