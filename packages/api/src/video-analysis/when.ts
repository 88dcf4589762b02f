/**
 * `when`: a time phrase ("last summer", "in 2019", "two weeks ago", "Christmas 2021") read relative to `now` as a
 * recording-time range [from, to). Named periods first (when-names.ts), then chrono-node for everything else.
 * Calendar days are `now`'s, in its offset (UTC when `now` is absent: the server's clock).
 *
 * A phrase covers the whole unit it names: a day ("yesterday", "July 14 2019"), a Monday-to-Sunday week ("two weeks
 * ago", "last week"), a Saturday–Sunday weekend, a month ("March", "a month ago"), a year ("last year"). A phrase
 * without a year means the latest such period that has begun ("March" in December 2026 is March 2026).
 */
import * as chrono from "chrono-node";
import { InvalidInputError } from "../errors.ts";
import type { MemoryFilters } from "./filter-schemas.ts";
import { checkedRange } from "./filters.ts";
import { formatRecordedAt, parseRecordedAt, type RecordedAt } from "./recorded-at-schemas.ts";
import { type Day, dayKey, namedPeriod, type Period } from "./when-names.ts";
import type { WhenRange } from "./when-schemas.ts";

const MINUTE = 60_000;

/** Local midnight of a calendar day in the offset, as an instant. */
const instantOf = (day: Day, offsetMinutes: number) => new Date(dayKey(day) - offsetMinutes * MINUTE);

function todayIn({ instant, offsetMinutes }: RecordedAt): Day {
  const local = new Date(instant.getTime() + offsetMinutes * MINUTE);
  return [local.getUTCFullYear(), local.getUTCMonth() + 1, local.getUTCDate()];
}

/** The whole unit a parsed date names (see the file's comment); `text` is what chrono matched. */
function unitPeriod(c: chrono.ParsedComponents, text: string): Period {
  const y = c.get("year") ?? 0;
  const m = c.get("month") ?? 1;
  const d = c.get("day") ?? 1;
  const weekday = new Date(dayKey([y, m, d])).getUTCDay(); // 0 Sunday … 6 Saturday
  if (/\bweekends?\b/i.test(text)) {
    const saturday = d - ((weekday + 1) % 7);
    return { from: [y, m, saturday], to: [y, m, saturday + 2] };
  }
  if (/\bweeks?\b/i.test(text)) {
    const monday = d - ((weekday + 6) % 7);
    return { from: [y, m, monday], to: [y, m, monday + 7] };
  }
  if (c.isCertain("day") || (!c.isCertain("month") && !c.isCertain("year"))) {
    return { from: [y, m, d], to: [y, m, d + 1] };
  }
  if (c.isCertain("month")) return { from: [y, m, 1], to: [y, m + 1, 1] };
  return { from: [y, 1, 1], to: [y + 1, 1, 1] };
}

/** chrono's reading: one date or one range in the phrase, null for none or several. */
function chronoPeriod(phrase: string, now: RecordedAt): Period | null {
  const results = chrono.parse(phrase, { instant: now.instant, timezone: now.offsetMinutes }, { forwardDate: false });
  const [result] = results;
  if (!result || results.length > 1) return null;
  let period = unitPeriod(result.start, result.text);
  if (result.end) period = { from: period.from, to: unitPeriod(result.end, result.text).to };
  // chrono places a month without a year in the coming year at times; a memory is in the past.
  const shift = (p: Period): Period => ({
    from: [p.from[0] - 1, p.from[1], p.from[2]],
    to: [p.to[0] - 1, p.to[1], p.to[2]],
  });
  if (!result.start.isCertain("year") && instantOf(period.from, now.offsetMinutes) > now.instant)
    period = shift(period);
  return instantOf(period.to, 0) > instantOf(period.from, 0) ? period : null;
}

/** The range a phrase means, its bounds written in now's offset; a 400 naming the phrase when it means none. */
export function readWhen(phrase: string, nowIso: string | undefined, clock: () => Date = () => new Date()): WhenRange {
  const now = nowIso ? parseRecordedAt(nowIso) : { instant: clock(), offsetMinutes: 0 };
  const period = namedPeriod(phrase, todayIn(now)) ?? chronoPeriod(phrase, now);
  if (!period) {
    throw new InvalidInputError([
      {
        path: "when",
        message:
          `when: ${JSON.stringify(phrase)} is not a time I can read; write one period, such as "in 2019", "last summer", ` +
          `"two weeks ago", "July 2019" or "Christmas 2021" (and keep other words in query)`,
      },
    ]);
  }
  const bound = (day: Day) =>
    formatRecordedAt({ instant: instantOf(day, now.offsetMinutes), offsetMinutes: now.offsetMinutes });
  // ISO-8601 writes a year past 9999 as "+010000-…" ("in 9999" ends on 10000-01-01), which PostgreSQL cannot read: it
  // was a 500. No recording is dated there anyway.
  if (bound(period.to).startsWith("+"))
    throw new InvalidInputError([
      {
        path: "when",
        message: `when: ${JSON.stringify(phrase)} reaches past the year 9999, where no recording is dated`,
      },
    ]);
  // The other end: an instant before the year 1 in UTC is written "0000-…" or "-000001-…", which PostgreSQL does not
  // read either (it has no year 0). The years 1–99 mean themselves (dayKey), matching nothing.
  if (instantOf(period.from, now.offsetMinutes).getTime() < dayKey([1, 1, 1]))
    throw new InvalidInputError([
      {
        path: "when",
        message: `when: ${JSON.stringify(phrase)} reaches before the year 1 (UTC), where no recording is dated`,
      },
    ]);
  return { phrase, from: bound(period.from), to: bound(period.to) };
}

/**
 * The recording-time filters once `when` is read: its range intersected with recordedAfter/recordedBefore (each
 * bound the narrower of the two), and a 400 naming both when they do not overlap.
 */
export function applyWhen(input: MemoryFilters & { when?: string | undefined; now?: string | undefined }): {
  filters: Pick<MemoryFilters, "recordedAfter" | "recordedBefore">;
  when?: WhenRange;
} {
  const { recordedAfter, recordedBefore } = input;
  if (input.when === undefined) {
    // Checked here, not only in the SQL: a query of punctuation alone is answered without any statement.
    checkedRange(input);
    return { filters: { recordedAfter, recordedBefore } };
  }
  const when = readWhen(input.when, input.now);
  const later = (a: string, b: string | undefined) => (b !== undefined && Date.parse(b) > Date.parse(a) ? b : a);
  const earlier = (a: string, b: string | undefined) => (b !== undefined && Date.parse(b) < Date.parse(a) ? b : a);
  const filters = { recordedAfter: later(when.from, recordedAfter), recordedBefore: earlier(when.to, recordedBefore) };
  if (Date.parse(filters.recordedAfter) >= Date.parse(filters.recordedBefore)) {
    throw new InvalidInputError([
      {
        path: "when",
        message:
          `when: ${JSON.stringify(when.phrase)} (${when.from} to ${when.to}) does not overlap the range of recordedAfter and ` +
          "recordedBefore: no memory could match both",
      },
    ]);
  }
  return { filters, when };
}
