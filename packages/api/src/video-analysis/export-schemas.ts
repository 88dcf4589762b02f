/** Input and output of export: every analysis with everything it has, a page at a time (export.ts, mm export). */
import { z } from "zod";
import { isoTimestamp } from "../codecs.ts";
import { limitUpTo, utcDateTimeInput } from "../fields.ts";
import { EXPORT_PAGE_MAX } from "../limits.ts";
import { memoryFilterFields } from "./filter-schemas.ts";
import { metadataOutput } from "./metadata-schemas.ts";
import { tagsField } from "./schemas.ts";

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
    limit: limitUpTo(EXPORT_PAGE_MAX)
      .default(EXPORT_PAGE_MAX)
      .meta({ description: "Most analyses per page; a page also ends early to stay within the answer's byte budget." }),
    cursor: exportCursor.nullish().meta({ description: "nextCursor of the previous page; omit for the first page." }),
    tags: tagsField.optional().meta({ description: "Only analyses carrying every one of these tags." }),
    since: utcDateTimeInput("since")
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
    createdAt: isoTimestamp,
    updatedAt: isoTimestamp,
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

export type ExportInput = z.output<typeof exportInput>;
export type ExportPage = z.input<typeof exportOutput>;
