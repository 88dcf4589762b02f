/** Input and output of history: a video's earlier versions, newest first, a page at a time (history.ts). */
import { z } from "zod";
import { limitUpTo } from "../fields.ts";
import { timestamp } from "../codecs.ts";
import { HISTORY_PAGE_DEFAULT, HISTORY_PAGE_MAX, VERSION_MAX } from "../limits.ts";
import { metadataOutput } from "./metadata-schemas.ts";
import { videoIdField } from "./schemas.ts";

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
    limit: limitUpTo(HISTORY_PAGE_MAX).default(HISTORY_PAGE_DEFAULT),
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

export type HistoryInput = z.output<typeof historyInput>;
export type HistoryPage = z.input<typeof historyOutput>;
