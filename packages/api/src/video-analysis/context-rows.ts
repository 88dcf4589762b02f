/**
 * A context's memories as its statements return them: what its text shows of each (recording time, stored time, tags,
 * description) packed into one text column, unpacked only for the memories it writes. A context's candidate
 * statement returns them on each of its ~100 candidates to write about 30: as seven columns, every candidate's were
 * decoded into strings by pg-protocol and its timestamps rewritten by the adapter, most for nothing (docs/performance.md,
 * "A context's shown columns, packed").
 */
import { type DriverRows, Prisma } from "@memory-mirror/db";
import type { Shown } from "./context-text.ts";
import { recordedAtText } from "./recorded-at-schemas.ts";
import { columnIndexes, int, isoText, tagsOf, text } from "./stored-row.ts";

/** A row of a context's statement: the ids every reader needs, and the rest as `shown` (unpack reads it). */
export interface PackedRow {
  id: string;
  videoId: string;
  shown: string;
}

/**
 * Between the packed fields. None of the fields before the description can hold it: a timestamp's or an integer's
 * text, and JSON, which escapes every control character. The description comes last, whole whatever it holds.
 */
const SEPARATOR = "\u0001";

/**
 * The columns (SQL on the alias `v`) for a statement whose description is cut to `descriptionChars` characters. The
 * timestamps come as PostgreSQL's text, which is what the driver adapters are sent for a timestamp column (the type's
 * output, in the session's DateStyle and TimeZone: UTC, session-settings.ts) and rewrite before reading: unpack
 * rewrites them the same way. A NULL comes as an empty field (no timestamp's, integer's or JSON's text is empty).
 */
export function packedColumns(descriptionChars: number): Prisma.Sql {
  // The bound is a parameter, not written into the text: the statement's text stays one of a few (a named statement).
  return Prisma.sql`v."id", v."videoId", concat(v."recordedAt"::text, chr(1), v."recordedAtOffset"::text, chr(1),
    v."createdAt"::text, chr(1), to_json(v."tags")::text, chr(1), left(v."description", ${descriptionChars}::int)) AS "shown"`;
}

/**
 * The adapters' own rewrites of PostgreSQL's timestamp text (@prisma/adapter-pg's and pglite-prisma-adapter's
 * normalize_timestamp and normalize_timestamptz, the same in both), which isoText reads: so a packed timestamp reads
 * as the same column read alone would, in every shape PostgreSQL writes (BC, five-digit years…). context-rows.test.ts
 * compares them with each adapter's reading of the columns.
 */
export const adapterTimestamp = (time: string): string => `${time.replace(" ", "T")}+00:00`;
export const adapterTimestamptz = (time: string): string =>
  time.replace(" ", "T").replace(/[+-]\d{2}(:\d{2})?$/, "+00:00");

/** What `packedColumns` packed, read as the separate columns were (int, isoText, tagsOf, text). */
export function unpack(shown: string): Shown {
  const a = shown.indexOf(SEPARATOR);
  const b = shown.indexOf(SEPARATOR, a + 1);
  const c = shown.indexOf(SEPARATOR, b + 1);
  const d = shown.indexOf(SEPARATOR, c + 1);
  if (d < 0) throw new TypeError("A context's packed row lacks a field");
  const recordedAt = shown.slice(0, a);
  const offset = shown.slice(a + 1, b);
  const tags = shown.slice(c + 1, d);
  return {
    recordedAt: recordedAtText(
      recordedAt === "" ? null : isoText(adapterTimestamptz(recordedAt)),
      offset === "" ? null : int(Number(offset)),
    ),
    createdAt: isoText(adapterTimestamp(shown.slice(b + 1, c))),
    // A NULL tags column (raw SQL only) fails as it did read alone: tagsOf refuses null.
    tags: tagsOf(tags === "" ? null : tags),
    description: shown.slice(d + 1),
  };
}

/** The rows of a statement selecting `packedColumns`, not yet unpacked. */
export function packedRows({ columns, rows }: DriverRows): PackedRow[] {
  const at = columnIndexes(columns, ["id", "videoId", "shown"]);
  return rows.map((v) => ({ id: text(v[at.id]), videoId: text(v[at.videoId]), shown: text(v[at.shown]) }));
}
