/**
 * Inputs and outputs of the idempotent, bulk, history and export operations. Values only, like schemas.ts, whose
 * field schemas they reuse so every limit and message stays defined once.
 */
import { z } from "zod";
import { timestamp } from "../codecs.ts";
import { memoryFilterFields } from "./filter-schemas.ts";
import { metadataField, metadataOutput } from "./metadata-schemas.ts";
import { recordedAtField } from "./recorded-at-schemas.ts";
import {
  descriptionField,
  embeddingField,
  expectedVersionField,
  tagsField,
  videoAnalysisSchema,
  videoIdField,
} from "./schemas.ts";
import {
  BULK_MAX_ITEMS,
  EXPORT_PAGE_MAX,
  HISTORY_PAGE_DEFAULT,
  HISTORY_PAGE_MAX,
  RESTORE_MAX_AHEAD_MS,
  RESTORE_VERSION_MAX,
  VERSION_MAX,
} from "../limits.ts";

const isoInput = (name: string) =>
  z.iso
    .datetime({ error: `${name} must be an ISO-8601 date-time in UTC, e.g. 2026-11-26T15:00:00.000Z` })
    // Year 0 has no date in PostgreSQL's calendar (1 BC is followed by AD 1).
    .refine((value) => !value.startsWith("0000"), `${name} must be in the year 0001 or later`);

/**
 * A restored createdAt/updatedAt: never later than a day ahead of this server's clock. Later writes move updatedAt
 * past the stored one, so a far-future value (9999-12-31) would push the next write beyond what the column and
 * every reader can hold.
 */
const restoredTime = (name: string) =>
  isoInput(name).refine(
    (value) => Date.parse(value) <= Date.now() + RESTORE_MAX_AHEAD_MS,
    `${name} must not be more than a day ahead of the server's clock`,
  );

// --- upsert ---------------------------------------------------------------------------------------------------

export const UPSERT_STATUSES = ["created", "updated", "unchanged"] as const;
export type UpsertStatus = (typeof UPSERT_STATUSES)[number];

export const upsertInput = z
  .object({
    videoId: videoIdField(),
    description: descriptionField(),
    tags: tagsField.optional().meta({ description: "Replaces the stored tags; omitted keeps them ([] on create)." }),
    embedding: embeddingField
      .nullable()
      .optional()
      .meta({ description: "Replaces the stored embedding; null removes it; omitted keeps it." }),
    recordedAt: recordedAtField()
      .nullable()
      .optional()
      .meta({ description: "Replaces the recording time; null removes it; omitted keeps it." }),
    metadata: metadataField()
      .nullable()
      .optional()
      .meta({ description: "Replaces the metadata; null removes it; omitted keeps it." }),
    expectedVersion: expectedVersionField.optional(),
  })
  .strict();

export const upsertOutput = z.object({
  analysis: videoAnalysisSchema,
  status: z.enum(UPSERT_STATUSES).meta({
    description:
      "created: it was new; updated: a new version; unchanged: it already had this content (no new version).",
  }),
});

// --- upsertMany -----------------------------------------------------------------------------------------------

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
      .max(RESTORE_VERSION_MAX, `version must be at most ${RESTORE_VERSION_MAX.toLocaleString("en")}`)
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
            message: `${field} "${value}" appears twice (items ${earlier} and ${index})`,
          });
      });
    }
  });

export const upsertManyOutput = z.object({
  created: z.number().int(),
  updated: z.number().int(),
  unchanged: z.number().int(),
});

// --- byVideoIds, deleteMany -----------------------------------------------------------------------------------

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

// --- history --------------------------------------------------------------------------------------------------

/** Opaque cursor: the last version returned, base64url so clients never build one. */
export const encodeHistoryCursor = (version: number): string =>
  Buffer.from(`v${version}`, "utf8").toString("base64url");

const historyCursor = z
  .string()
  .max(40, "cursor is not a cursor returned by history")
  .transform((value, ctx) => {
    const match = /^v(\d{1,10})$/.exec(Buffer.from(value, "base64url").toString("utf8"));
    if (!match || Number(match[1]) > VERSION_MAX) {
      ctx.addIssue({ code: "custom", message: "cursor is not a cursor returned by history" });
      return z.NEVER;
    }
    return Number(match[1]);
  });

export const historyInput = z
  .object({
    videoId: videoIdField(),
    limit: z
      .number({ error: "limit must be a number" })
      .int("limit must be a whole number")
      .min(1, "limit must be at least 1")
      .max(HISTORY_PAGE_MAX, `limit must be at most ${HISTORY_PAGE_MAX}`)
      .default(HISTORY_PAGE_DEFAULT),
    cursor: historyCursor.nullish().meta({ description: "nextCursor of the previous page; omit for the first page." }),
  })
  .strict();

export const historyEntrySchema = z
  .object({
    version: z.number().int(),
    description: z.string(),
    tags: z.array(z.string()),
    embeddingModel: z.string().nullable(),
    recordedAt: z.string().nullable(),
    metadata: metadataOutput,
    changedAt: timestamp.meta({ description: "When this version was written (its updatedAt then)." }),
  })
  .meta({ id: "VideoAnalysisVersion" });

export const historyOutput = z.object({
  items: z.array(historyEntrySchema).meta({ description: "Earlier versions (never the current one), newest first." }),
  nextCursor: z.string().nullable(),
});

// --- export ---------------------------------------------------------------------------------------------------

export interface ExportCursor {
  createdAt: Date;
  id: string;
}

/** Opaque keyset cursor of an export: the last row's (createdAt, id). */
export const encodeExportCursor = ({ createdAt, id }: ExportCursor): string =>
  Buffer.from(`e${createdAt.getTime()}:${id}`, "utf8").toString("base64url");

const exportCursor = z
  .string()
  .max(200, "cursor is not a cursor returned by export")
  .transform((value, ctx): ExportCursor => {
    const match = /^e(\d{1,15}):([A-Za-z0-9_-]{1,64})$/.exec(Buffer.from(value, "base64url").toString("utf8"));
    if (!match) {
      ctx.addIssue({ code: "custom", message: "cursor is not a cursor returned by export" });
      return z.NEVER;
    }
    return { createdAt: new Date(Number(match[1])), id: match[2] as string };
  });

export const exportInput = z
  .object({
    limit: z
      .number({ error: "limit must be a number" })
      .int("limit must be a whole number")
      .min(1, "limit must be at least 1")
      .max(EXPORT_PAGE_MAX, `limit must be at most ${EXPORT_PAGE_MAX}`)
      .default(EXPORT_PAGE_MAX)
      .meta({ description: "Most analyses per page; a page also ends early to stay within the answer's byte budget." }),
    cursor: exportCursor.nullish().meta({ description: "nextCursor of the previous page; omit for the first page." }),
    tags: tagsField.optional().meta({ description: "Only analyses carrying every one of these tags." }),
    since: isoInput("since")
      .transform((iso) => new Date(iso))
      .optional()
      .meta({ description: "Only analyses changed (updatedAt) at or after this time." }),
    ...memoryFilterFields,
  })
  .strict();

/** An analysis with everything it has, the vector included: one line of `mm export`, one item of a restore. */
export const exportedAnalysisSchema = z
  .object({
    id: z.string(),
    videoId: z.string(),
    description: z.string(),
    tags: z.array(z.string()),
    embedding: z.object({ model: z.string(), values: z.array(z.number()) }).nullable(),
    recordedAt: z.string().nullable(),
    metadata: metadataOutput,
    version: z.number().int(),
    createdAt: timestamp,
    updatedAt: timestamp,
  })
  .meta({ id: "ExportedVideoAnalysis" });

export const exportOutput = z.object({
  items: z.array(exportedAnalysisSchema).meta({ description: "Oldest first (createdAt, then id)." }),
  nextCursor: z.string().nullable(),
  total: z
    .number()
    .int()
    .nullable()
    .meta({ description: "How many analyses the export holds in all; on the first page only." }),
});

export type UpsertInput = z.output<typeof upsertInput>;
export type UpsertManyItem = z.output<typeof upsertManyItem>;
export type UpsertManyInput = z.output<typeof upsertManyInput>;
export type UpsertManyResult = z.output<typeof upsertManyOutput>;
export type VideoIdsInput = z.output<typeof videoIdsInput>;
export type HistoryInput = z.output<typeof historyInput>;
export type HistoryPage = z.input<typeof historyOutput>;
export type ExportInput = z.output<typeof exportInput>;
export type ExportPage = z.input<typeof exportOutput>;
