/**
 * An analysis as the database holds it (the vector itself never leaves): the columns, declared once, and the
 * conversions between them and the analysis the service answers.
 */
import { Prisma } from "@memory-mirror/db";
import type { Metadata } from "./metadata-schemas.ts";
import { recordedAtText } from "./recorded-at-schemas.ts";
import type { VideoAnalysisRow } from "./schemas.ts";

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

/** The stored columns of a raw row that carries others too (scores beside them). */
export const storedOf = (row: Partial<StoredRow>): StoredRow =>
  Object.fromEntries(Object.keys(select).map((column) => [column, row[column as keyof StoredRow]])) as StoredRow;

/**
 * A stored row as the service returns it: the embedding as what it is, never as the vector. Built field by field, in
 * the order the rest-and-spread form gave (id … updatedAt, then embedding, recordedAt, metadata): V8 runs an object
 * rest pattern (`{ a, ...rest }`) through a slow generic copy, which was 9% of a 100-row list's CPU.
 */
export function toAnalysis(row: StoredRow): VideoAnalysisRow {
  const { embeddingModel, embeddingDims } = row;
  return {
    id: row.id,
    videoId: row.videoId,
    description: row.description,
    tags: row.tags,
    version: row.version,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
    embedding:
      embeddingModel !== null && embeddingDims !== null ? { model: embeddingModel, dimensions: embeddingDims } : null,
    recordedAt: recordedAtText(row.recordedAt, row.recordedAtOffset),
    metadata: (row.metadata as Metadata | null) ?? null,
  };
}

/** pgvector's text form; zod has already checked every value is a finite number. */
export const vectorLiteral = (values: readonly number[]): string => `[${values.join(",")}]`;
