/**
 * An analysis as the database holds it (the vector itself never leaves): the columns, declared once, and the
 * conversions between them and the analysis the service answers.
 */
import { type DriverRows, Prisma } from "@memory-mirror/db";
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

/**
 * Tags as the database may hold them: a NULL element (only raw SQL can store one: the service writes normalised tags)
 * comes back as null from every reader, Prisma Client's raw queries and the driver adapter alike. storedTags decodes
 * them, the one way every answer does.
 */
export type StoredTags = (string | null)[];

/** The columns as Prisma Client's queries give them (timestamps as Dates): storedRowOf makes a StoredRow of them. */
export type PrismaStoredRow = Omit<Prisma.VideoAnalysisGetPayload<{ select: typeof select }>, "tags"> & {
  tags: StoredTags;
};

/**
 * A stored row with its timestamps as the wire's ISO text (`2026-01-01T00:00:00.000Z`, isoText): answers send them
 * so, and making a Date of each only to format it again cost the list page 7.6% of its CPU and much of its garbage
 * (docs/performance.md). A reader that needs the instant parses it (Date.parse).
 */
export type StoredRow = Omit<PrismaStoredRow, "createdAt" | "updatedAt" | "recordedAt"> & {
  createdAt: string;
  updatedAt: string;
  recordedAt: string | null;
};

/** A row of Prisma Client's (`$queryRaw`, which gives Dates) as the service holds it. */
export const storedRowOf = (row: PrismaStoredRow): StoredRow => ({
  ...row,
  createdAt: row.createdAt.toISOString(),
  updatedAt: row.updatedAt.toISOString(),
  recordedAt: row.recordedAt && row.recordedAt.toISOString(),
});

/**
 * The same columns for raw statements, optionally of a table alias (`v."id", …`). `tags` comes as JSON text
 * (`to_json`): the clients parse it with JSON.parse, where PostgreSQL's array text went through postgres-array
 * character by character (a fifth of what reading a 100-row page cost the process: docs/performance.md). Prisma
 * Client's raw queries parse a json column too, so every reader still gets an array of strings.
 */
export const storedColumns = (alias?: string): Prisma.Sql => Prisma.raw(storedColumnList(alias));

/** The column list as SQL text (statements run through the driver adapter: queryDriver). */
export function storedColumnList(alias?: string): string {
  const prefix = alias ? `${alias}.` : "";
  return Object.keys(select)
    .map((column) => (column === "tags" ? `to_json(${prefix}"tags") AS "tags"` : `${prefix}"${column}"`))
    .join(", ");
}

/**
 * Stored rows from the driver adapter's values (queryDriver): timestamps become the wire's ISO text (isoText), JSON
 * (text) is parsed (tags included: storedColumns). Every column of `select` must be there, of its type.
 */
export function storedRowsOf({ columns, rows }: DriverRows): StoredRow[] {
  const at = columnIndexes(columns, Object.keys(select) as (keyof StoredRow)[]);
  return rows.map((v) => ({
    id: text(v[at.id]),
    videoId: text(v[at.videoId]),
    description: text(v[at.description]),
    tags: tagsOf(v[at.tags]),
    embeddingModel: v[at.embeddingModel] === null ? null : text(v[at.embeddingModel]),
    embeddingDims: v[at.embeddingDims] === null ? null : int(v[at.embeddingDims]),
    recordedAt: v[at.recordedAt] === null ? null : isoText(v[at.recordedAt]),
    recordedAtOffset: v[at.recordedAtOffset] === null ? null : int(v[at.recordedAtOffset]),
    metadata: v[at.metadata] === null ? null : json(v[at.metadata]),
    version: int(v[at.version]),
    createdAt: isoText(v[at.createdAt]),
    updatedAt: isoText(v[at.updatedAt]),
  }));
}

const unexpected = (value: unknown): never => {
  throw new TypeError(`A stored row holds an unexpected ${typeof value} value`);
};
export const text = (value: unknown): string => (typeof value === "string" ? value : unexpected(value));
/**
 * Stored tags as answered: a NULL element is no tag, and the analysis is answered without it rather than failing
 * every read of it (output validation would refuse the null: a 500).
 */
export function storedTags(tags: unknown): string[] {
  if (!Array.isArray(tags)) return unexpected(tags);
  if (tags.every((tag) => typeof tag === "string")) return tags;
  return tags.filter((tag) => tag !== null).map((tag) => (typeof tag === "string" ? tag : unexpected(tag)));
}
/** The tags' JSON array (storedColumns), decoded by storedTags. */
export const tagsOf = (value: unknown): string[] => storedTags(JSON.parse(text(value)));
export const int = (value: unknown): number =>
  typeof value === "number" && Number.isInteger(value) ? value : unexpected(value);
/** The adapters give timestamps as ISO text with an offset (`2026-01-01T00:00:00.000+00:00`). */
export const instant = (value: unknown): Date => new Date(text(value));

/**
 * What the adapters give for a timestamp in UTC: PostgreSQL's text with `T` and `+00:00`, its fraction (if any) without
 * trailing zeros, up to microseconds (`2026-01-01T10:00:00.12+00:00`).
 */
const ADAPTER_UTC = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,6}))?\+00:00$/;

/**
 * A timestamp as `new Date(text).toISOString()` writes it, by string: milliseconds padded to three digits, a finer
 * fraction cut off (as Date's parser cuts it), `Z`. Any other shape (a year past 9999 or BC, an offset that is not
 * UTC) takes the Date path itself, so the text is that path's in every case (timestamps-as-text.test.ts).
 */
export function isoText(value: unknown): string {
  const adapter = text(value);
  const match = ADAPTER_UTC.exec(adapter);
  if (!match) return new Date(adapter).toISOString();
  const [, seconds, fraction = ""] = match;
  const millis =
    fraction.length === 3 ? fraction : fraction.length > 3 ? fraction.slice(0, 3) : fraction.padEnd(3, "0");
  return `${seconds}.${millis}Z`;
}

/**
 * The adapters' own rewrites of PostgreSQL's timestamp text (@prisma/adapter-pg's and pglite-prisma-adapter's
 * normalize_timestamp and normalize_timestamptz, the same in both), which isoText reads: so a timestamp's text taken
 * from PostgreSQL itself (context-rows.ts' packed column) reads as the same column read alone would, in every shape
 * PostgreSQL writes (BC, five-digit years…). context-rows.test.ts compares them with each adapter's reading.
 */
export const adapterTimestamp = (time: string): string => `${time.replace(" ", "T")}+00:00`;
export const adapterTimestamptz = (time: string): string =>
  time.replace(" ", "T").replace(/[+-]\d{2}(:\d{2})?$/, "+00:00");

/** JSON.parse's result is a JSON value by construction. */
export const json = (value: unknown): Prisma.JsonValue => JSON.parse(text(value)) as Prisma.JsonValue;
/** A text[] column other than tags (a search's stand-ins), as the driver parses it. */
export const texts = (value: unknown): string[] =>
  Array.isArray(value) && value.every((item) => typeof item === "string") ? value : unexpected(value);
/** float4 and float8 columns (a search's scores) come as numbers from both adapters, as `$queryRaw` gives them. */
export const numberOrNull = (value: unknown): number | null =>
  value === null ? null : typeof value === "number" ? value : unexpected(value);

/** Where each named column is in queryDriver's rows; a missing one is a programming error. */
export function columnIndexes<const N extends string>(columns: string[], names: readonly N[]): Record<N, number> {
  const at = {} as Record<N, number>;
  for (const name of names) {
    const index = columns.indexOf(name);
    if (index < 0) throw new Error(`A statement's result lacks its column ${name}`);
    at[name] = index;
  }
  return at;
}

/**
 * A stored row as the service returns it: the embedding as what it is, never as the vector. Field by field rather
 * than by rest and spread: those copy the row twice (every lookup, list and search hit goes through here), and a
 * raw row's other columns (scores, highlight) stay out without a copy.
 */
export function toAnalysis(row: StoredRow): VideoAnalysisRow {
  const { embeddingModel, embeddingDims } = row;
  return {
    id: row.id,
    videoId: row.videoId,
    description: row.description,
    tags: storedTags(row.tags),
    version: row.version,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
    embedding:
      embeddingModel !== null && embeddingDims !== null ? { model: embeddingModel, dimensions: embeddingDims } : null,
    recordedAt: recordedAtText(row.recordedAt, row.recordedAtOffset),
    metadata: (row.metadata as Metadata | null) ?? null,
  };
}

/**
 * pgvector's text form (`[1,-0.5,…]`); zod has already checked every value is a finite number. JSON writes exactly
 * that for finite numbers, in half the CPU of `join(",")` (measured: 19 against 37 µs for 256 values).
 */
export const vectorLiteral = (values: readonly number[]): string => JSON.stringify(values);
