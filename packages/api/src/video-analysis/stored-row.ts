/** An analysis as the database holds it (the vector itself never leaves): the columns, declared once. */
import { Prisma } from "@memory-mirror/db";

/** For Prisma queries. */
export const select = {
  id: true,
  videoId: true,
  description: true,
  tags: true,
  embeddingModel: true,
  embeddingDims: true,
  recordedAt: true,
  recordedAtOffset: true,
  metadata: true,
  version: true,
  createdAt: true,
  updatedAt: true,
} as const;

export type StoredRow = Prisma.VideoAnalysisGetPayload<{ select: typeof select }>;

/** The same columns for raw statements, optionally of a table alias (`v."id", …`). */
export function storedColumns(alias?: string): Prisma.Sql {
  const prefix = alias ? `${alias}.` : "";
  return Prisma.raw(
    Object.keys(select)
      .map((column) => `${prefix}"${column}"`)
      .join(", "),
  );
}
