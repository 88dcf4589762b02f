/**
 * The single definition of every video-analysis input and output (their limits are in ../limits.ts). Values only
 * (zod, no database code): the client, the CLI and the MCP tools import this through `@memory-mirror/api/schemas`.
 */
import { z } from "zod";
import { limitUpTo } from "../fields.ts";
import { isoTimestamp } from "../codecs.ts";
import {
  DESCRIPTION_MAX_LENGTH,
  EMBEDDING_MAX_DIMENSIONS,
  EMBEDDING_MODEL_MAX_LENGTH,
  LIST_LIMIT_DEFAULT,
  LIST_LIMIT_MAX,
  TAG_MAX_LENGTH,
  TAGS_MAX,
  VERSION_MAX,
  VIDEO_ID_MAX_LENGTH,
} from "../limits.ts";
import { memoryFilterFields } from "./filter-schemas.ts";
import { metadataField, metadataOutput } from "./metadata-schemas.ts";
import { recordedAtField } from "./recorded-at-schemas.ts";

/**
 * A required, non-blank string of at most `max` characters, with messages naming the field as the caller spelled
 * it (`videoId` over tRPC, `video_id` over REST). PostgreSQL cannot store NUL, and a lone surrogate would be stored
 * as U+FFFD (then collide with another value): both are the client's mistake, rejected here.
 */
const text = (name: string, max: number) =>
  z
    .string({ error: (issue) => (issue.input === undefined ? `${name} is required` : `${name} must be a string`) })
    .min(1, `${name} must not be empty`)
    .max(max, `${name} must be at most ${max} characters`)
    // Empty strings already failed min(1): one message per problem.
    .refine((s) => s === "" || s.trim() !== "", `${name} must not be blank`)
    .refine((s) => !s.includes("\0"), `${name} must not contain NUL characters`)
    .refine((s) => !LONE_SURROGATE.test(s), `${name} must be well-formed Unicode (it holds a lone surrogate)`);

// With the u flag a surrogate pair is one code point, so \p{Cs} matches only unpaired halves.
const LONE_SURROGATE = /\p{Cs}/u;

export const videoIdField = (name = "videoId") =>
  text(name, VIDEO_ID_MAX_LENGTH).meta({
    description: "The video's id in the upload service; one analysis per video.",
    example: "vid_123",
  });

export const descriptionField = (name = "description") =>
  text(name, DESCRIPTION_MAX_LENGTH).meta({
    description: "What the video-understanding service saw in the video.",
    example: "A cat jumps onto a table.",
  });

/** A tag as stored: letters, digits and `- _ : . /`, already trimmed and lower-cased. */
export const TAG_PATTERN = /^[\p{Ll}\p{Lo}\p{N}_:./-]{1,64}$/u;

const tag = z
  .string({ error: "a tag must be a string" })
  .transform((value) => value.trim().toLowerCase())
  .pipe(
    z
      .string()
      .min(1, "a tag must not be empty")
      .max(TAG_MAX_LENGTH, `a tag must be at most ${TAG_MAX_LENGTH} characters`)
      .regex(TAG_PATTERN, "a tag holds only letters, digits and - _ : . /"),
  );

/** Tags are a set: trimmed, lower-cased, deduplicated and sorted, at most 32 of 1–64 characters. */
export const tagsField = z
  .array(tag, { error: "tags must be an array of strings" })
  .max(TAGS_MAX, `at most ${TAGS_MAX} tags`)
  .transform((tags) => [...new Set(tags)].sort())
  .meta({
    description: "Labels; stored trimmed, lower-cased, deduplicated and sorted.",
    example: ["cooking", "family"],
  });

/** Below this no value of a vector counts toward its length (in 32-bit floats): see embeddingField. */
const MIN_EMBEDDING_MAGNITUDE = 1e-18;

/** A producer's embedding of the video: its model, and the vector (any dimension up to 2,000). */
export const embeddingField = z
  .object({
    model: z
      .string({ error: "embedding.model is required" })
      .min(1, "embedding.model must not be empty")
      .max(EMBEDDING_MODEL_MAX_LENGTH, `embedding.model must be at most ${EMBEDDING_MODEL_MAX_LENGTH} characters`)
      .refine((s) => s.trim() !== "" && !s.includes("\0"), "embedding.model must not be blank or contain NUL")
      // Stored as text (PostgreSQL's UTF-8 cannot hold it) and sent inside JSON to the bulk write, where a lone
      // surrogate's escape failed the statement (a 500) instead of being refused here.
      .refine(
        (s) => !LONE_SURROGATE.test(s),
        "embedding.model must be well-formed Unicode (it holds a lone surrogate)",
      ),
    values: z
      .array(
        z.number({ error: "embedding.values must be numbers" }).finite("embedding.values must be finite numbers"),
        {
          error: "embedding.values is required",
        },
      )
      .min(1, "embedding.values must hold at least one number")
      .max(EMBEDDING_MAX_DIMENSIONS, `embedding.values must hold at most ${EMBEDDING_MAX_DIMENSIONS} numbers`)
      // Stored as 32-bit floats, whose squares underflow to 0 for values this small: length 0, no direction.
      .refine(
        (values) => values.some((x) => Math.abs(x) >= MIN_EMBEDDING_MAGNITUDE),
        "embedding.values must not be all zeros (a vector of length 0 has no direction to compare)",
      ),
  })
  .strict()
  .meta({
    description: "The video model's own embedding; searches compare it only with vectors of the same model.",
    example: { model: "marengo-2.7", values: [0.12, -0.03, 0.5] },
  });

export const videoAnalysisSchema = z
  .object({
    id: z.string(),
    videoId: z.string(),
    description: z.string(),
    tags: z.array(z.string()),
    embedding: z
      .object({ model: z.string(), dimensions: z.number().int() })
      .nullable()
      .meta({ description: "Which embedding the analysis has (never the vector itself), or null." }),
    recordedAt: z.string().nullable().meta({
      description:
        "When the video was recorded, in the UTC offset it was given with (e.g. 2019-07-14T10:00:00+02:00), or null.",
    }),
    metadata: metadataOutput,
    version: z.number().int().meta({ description: "1 on create, +1 on every change." }),
    createdAt: isoTimestamp,
    updatedAt: isoTimestamp,
  })
  .meta({ id: "VideoAnalysis" });

/** An analysis as clients receive it (timestamps as ISO strings). */
export type VideoAnalysis = z.output<typeof videoAnalysisSchema>;
/** An analysis as the service returns it, before it is put on the wire (timestamps already as ISO strings). */
export type VideoAnalysisRow = z.input<typeof videoAnalysisSchema>;

export const videoIdInput = z.object({ videoId: videoIdField() }).strict();

/** Optimistic concurrency: the write happens only if the analysis is still at this version (else CONFLICT). */
export const expectedVersionField = z
  .number({ error: "expectedVersion must be a number" })
  .int("expectedVersion must be a whole number")
  .min(1, "expectedVersion must be at least 1")
  .max(VERSION_MAX, "expectedVersion is too large")
  .meta({
    description: "Write only if the analysis is at this version; a stale one is a CONFLICT naming the current version.",
  });

export const deleteInput = z
  .object({ videoId: videoIdField(), expectedVersion: expectedVersionField.optional() })
  .strict();
export const createInput = z
  .object({
    videoId: videoIdField(),
    description: descriptionField(),
    tags: tagsField.optional(),
    embedding: embeddingField.optional(),
    recordedAt: recordedAtField().optional(),
    metadata: metadataField().optional(),
  })
  .strict();

const UPDATE_FIELDS = ["description", "tags", "embedding", "recordedAt", "metadata"] as const;

export const updateInput = z
  .object({
    videoId: videoIdField(),
    description: descriptionField().optional(),
    tags: tagsField.optional(),
    embedding: embeddingField.nullable().optional().meta({ description: "A new embedding; null removes it." }),
    recordedAt: recordedAtField().nullable().optional().meta({ description: "A new recording time; null removes it." }),
    metadata: metadataField().nullable().optional().meta({ description: "Replaces the metadata; null removes it." }),
    expectedVersion: expectedVersionField.optional(),
  })
  .strict()
  .refine((input) => UPDATE_FIELDS.some((field) => input[field] !== undefined), {
    message: `update needs at least one of ${UPDATE_FIELDS.join(", ")}`,
    path: ["description"],
  });

/** The orders list pages in: newest stored first, or by recording time (oldest first, memories without it last). */
export const LIST_ORDERS = ["createdAt", "recordedAt"] as const;
export type ListOrder = (typeof LIST_ORDERS)[number];

/**
 * Opaque keyset cursor: the last item's (createdAt, id), or its (recordedAt or none, id) when ordered by recording
 * time, so pages stay stable while rows come and go.
 */
export type ListCursor =
  | { orderBy: "createdAt"; createdAt: Date; id: string }
  | { orderBy: "recordedAt"; recordedAt: Date | null; id: string };

export function encodeCursor(cursor: ListCursor): string {
  const key =
    cursor.orderBy === "createdAt"
      ? `${cursor.createdAt.getTime()}`
      : `r${cursor.recordedAt ? cursor.recordedAt.getTime() : "n"}`;
  return Buffer.from(`${key}:${cursor.id}`, "utf8").toString("base64url");
}

function decodeCursor(value: string): ListCursor | undefined {
  const match = /^(r?)(-?\d{1,15}|n):([\w-]{1,64})$/.exec(Buffer.from(value, "base64url").toString("utf8"));
  if (!match) return undefined;
  const [, byRecordedAt, key, id] = match as unknown as [string, string, string, string];
  if (byRecordedAt) return { orderBy: "recordedAt", recordedAt: key === "n" ? null : new Date(Number(key)), id };
  if (key === "n" || key.startsWith("-")) return undefined;
  return { orderBy: "createdAt", createdAt: new Date(Number(key)), id };
}

export const cursorField = z
  .string()
  .max(200, "cursor is not a cursor returned by list")
  .transform((value, ctx) => {
    const cursor = decodeCursor(value);
    if (!cursor) {
      ctx.addIssue({ code: "custom", message: "cursor is not a cursor returned by list" });
      return z.NEVER;
    }
    return cursor;
  })
  .meta({ description: "nextCursor of the previous page; omit for the first page." });

export const limitField = limitUpTo(LIST_LIMIT_MAX).default(LIST_LIMIT_DEFAULT);

export const listInput = z
  .object({
    limit: limitField,
    cursor: cursorField.nullish(),
    tags: tagsField.optional().meta({ description: "Only analyses carrying every one of these tags." }),
    ...memoryFilterFields,
    orderBy: z
      .enum(LIST_ORDERS, { error: `orderBy must be one of ${LIST_ORDERS.join(", ")}` })
      .default("createdAt")
      .meta({
        description:
          "createdAt: newest stored first (the default). recordedAt: by recording time, oldest first, memories " +
          "without recordedAt last.",
      }),
  })
  // Not strict: tRPC's infinite queries add a `direction` key.
  .default({ limit: LIST_LIMIT_DEFAULT, orderBy: "createdAt" });

export const listOutput = z.object({
  items: z.array(videoAnalysisSchema),
  nextCursor: z.string().nullable().meta({ description: "Pass as cursor to get the next page; null on the last." }),
});

export type Embedding = z.output<typeof embeddingField>;
export type CreateInput = z.output<typeof createInput>;
export type UpdateInput = z.output<typeof updateInput>;
export type VideoIdInput = z.output<typeof videoIdInput>;
export type DeleteInput = z.output<typeof deleteInput>;
export type ListInput = z.output<typeof listInput>;
export type ListPage = z.input<typeof listOutput>;
