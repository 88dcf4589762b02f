/**
 * `recordedAt`: when the video was recorded (life's time, not the pipeline's). An ISO-8601 instant kept with the UTC
 * offset it was sent with, so the answer says `2019-07-14T10:00:00+02:00` back rather than the same instant in UTC.
 * Values only (zod), exported through `@memory-mirror/api/schemas`.
 */
import { z } from "zod";
import { RECORDED_AT_MAX_AHEAD_MS, RECORDED_AT_MIN } from "../limits.ts";

/** An instant with the offset (minutes east of UTC) it was written in. */
export interface RecordedAt {
  instant: Date;
  offsetMinutes: number;
}

const OFFSET = /(Z|([+-])(\d{2}):(\d{2}))$/;

/** A validated recordedAt string (recordedAtField) as its instant and offset. */
export const parseRecordedAt = (iso: string): RecordedAt => ({
  instant: new Date(Date.parse(iso)),
  offsetMinutes: offsetOf(iso),
});

function offsetOf(iso: string): number {
  const match = OFFSET.exec(iso);
  if (!match || match[1] === "Z") return 0;
  const minutes = Number(match[3]) * 60 + Number(match[4]);
  return match[2] === "-" ? -minutes : minutes;
}

const pad = (n: number) => String(n).padStart(2, "0");

/**
 * The instant written in its own offset, to the millisecond (omitted when zero, so `…T10:00:00+02:00` comes back as
 * sent); offset 0 is written `Z`.
 */
export function formatRecordedAt({ instant, offsetMinutes }: RecordedAt): string {
  const local = new Date(instant.getTime() + offsetMinutes * 60_000).toISOString().replace(/\.000Z$|Z$/, "");
  if (offsetMinutes === 0) return `${local}Z`;
  const abs = Math.abs(offsetMinutes);
  return `${local}${offsetMinutes < 0 ? "-" : "+"}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
}

/**
 * A stored pair of columns as the answer's string, or null; the instant as toISOString writes it. In UTC that is
 * the answer less a `.000`, with no Date made (most rows: docs/performance.md).
 */
export function recordedAtText(iso: string | null, offsetMinutes: number | null): string | null {
  if (iso === null) return null;
  if (!offsetMinutes) return iso.endsWith(".000Z") ? `${iso.slice(0, -5)}Z` : iso;
  return formatRecordedAt({ instant: new Date(iso), offsetMinutes });
}

/**
 * An ISO-8601 instant with an offset (`Z` or `±hh:mm`), not before 1900 and not more than a day ahead of now. The
 * string stays as sent (parseRecordedAt reads it), so parsed inputs can be sent on by clients; the field is named as the caller spells it (`recorded_at` over REST).
 */
export const recordedAtField = (name = "recordedAt") =>
  z
    .string({ error: `${name} must be a string (an ISO-8601 date-time)` })
    .superRefine((value, ctx) => {
      if (!z.iso.datetime({ offset: true }).safeParse(value).success) {
        ctx.addIssue({
          code: "custom",
          message: `${name} must be an ISO-8601 date-time with an offset, e.g. 2019-07-14T10:00:00+02:00 or 2019-07-14T08:00:00Z`,
        });
        return;
      }
      const time = Date.parse(value);
      if (Number.isNaN(time)) ctx.addIssue({ code: "custom", message: `${name} is not a date that exists` });
      else if (time < Date.parse(RECORDED_AT_MIN))
        ctx.addIssue({ code: "custom", message: `${name} must not be before 1900 (it is ${value})` });
      else if (time > Date.now() + RECORDED_AT_MAX_AHEAD_MS)
        ctx.addIssue({
          code: "custom",
          message: `${name} must not be more than a day in the future (it is ${value}); a recording has already happened`,
        });
    })
    .meta({
      description:
        "When the video was recorded: an ISO-8601 date-time with its UTC offset, kept to the millisecond and answered " +
        "in the same offset. Not before 1900, not more than a day ahead.",
      example: "2019-07-14T10:00:00+02:00",
    });
