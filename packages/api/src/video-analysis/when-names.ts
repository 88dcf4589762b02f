/**
 * Named periods that chrono-node (when.ts) does not read: seasons, a few holidays, a year alone ("in 2019") and
 * decades ("the 90s"). A small fixed table, not a date parser: everything else is chrono's.
 *
 * Seasons are the northern hemisphere's meteorological ones (whole months): spring March–May, summer June–August,
 * autumn (fall) September–November, winter December–February, and "winter 2019" is the one that begins in December
 * 2019. Christmas is 24–26 December (the days a family video of "Christmas" is recorded), Christmas Eve the 24th.
 */

/** A calendar day as [year, month 1–12, day]; days and months past their end roll over (Date.UTC's rule). */
export type Day = [year: number, month: number, day: number];
/** Days [from, to): `to` is the first day after the period. */
export interface Period {
  from: Day;
  to: Day;
}

const season =
  (from: number, months: number) =>
  (y: number): Period => ({
    from: [y, from, 1],
    to: [y, from + months, 1],
  });
const days =
  (month: number, day: number, count = 1) =>
  (y: number): Period => ({
    from: [y, month, day],
    to: [y, month, day + count],
  });

/** Lower-case names, apostrophes optional. */
const NAMED: Record<string, (year: number) => Period> = {
  spring: season(3, 3),
  summer: season(6, 3),
  autumn: season(9, 3),
  fall: season(9, 3),
  winter: season(12, 3),
  "christmas eve": days(12, 24),
  christmas: days(12, 24, 3),
  xmas: days(12, 24, 3),
  "new year's eve": days(12, 31),
  "new year's day": days(1, 1),
  halloween: days(10, 31),
  "valentine's day": days(2, 14),
};

/** The same, keyed without apostrophes: "new years eve" is what many type. */
const BY_BARE_NAME = new Map(Object.entries(NAMED).map(([name, period]) => [name.replace(/'/g, ""), period]));

const NAMES = Object.keys(NAMED)
  .sort((a, b) => b.length - a.length) // "christmas eve" before "christmas"
  .map((n) => n.replace("'", "'?"))
  .join("|");
const NAMED_PHRASE = new RegExp(`^(?:(last|this)\\s+)?(${NAMES})(?:\\s+(?:of\\s+)?(\\d{4}))?$`);
const YEAR = /^(\d{4})$/;
const DECADE = /^(?:(\d{2})(\d)0|'?(\d)0)'?s$/;

/** Words around a period that do not change it: "in 2019", "during the summer of 2019", "at Christmas". */
const LEADING = /^(?:(?:in|during|over|around|at|on)\s+)?(?:the\s+)?/;

/**
 * A calendar day's midnight in UTC, in ms: to compare periods with now, and (when.ts) to place them in time. Not
 * Date.UTC, which reads the years 0–99 as 1900–1999 ("in 0001" was 1901); setUTCFullYear takes a year as it is.
 */
export function dayKey([y, m, d]: Day): number {
  const date = new Date(0);
  date.setUTCFullYear(y, m - 1, d);
  return date.getTime();
}

/**
 * The period a named phrase means relative to today (the caller's calendar day), or null when it names none.
 * With a year: that one. "last": the latest that has ended. "this": the one of this year (a winter: the one under
 * way, if any). Alone: the latest that has begun.
 */
export function namedPeriod(phrase: string, today: Day): Period | null {
  const text = phrase.toLowerCase().replace(/[’‘]/g, "'").replace(/\s+/g, " ").trim().replace(LEADING, "");
  const [thisYear] = today;

  const year = YEAR.exec(text);
  if (year) return { from: [Number(year[1]), 1, 1], to: [Number(year[1]) + 1, 1, 1] };

  const decade = DECADE.exec(text);
  if (decade) {
    let start = decade[1] ? Number(`${decade[1]}${decade[2]}0`) : 2000 + Number(decade[3]) * 10;
    if (!decade[1] && start > thisYear) start -= 100; // "the 90s" are the 1990s, "the 10s" the 2010s
    return { from: [start, 1, 1], to: [start + 10, 1, 1] };
  }

  const named = NAMED_PHRASE.exec(text);
  if (!named) return null;
  const [, which, name = "", explicit] = named;
  if (which && explicit) return null; // "last summer 2019" says two things
  const period = BY_BARE_NAME.get(name.replace(/'/g, ""));
  if (!period) return null;
  if (explicit) return period(Number(explicit));

  const now = dayKey(today);
  const candidates = [thisYear, thisYear - 1, thisYear - 2].map(period);
  if (which === "last") return candidates.find((p) => dayKey(p.to) <= now) ?? null;
  if (which === "this") return candidates.find((p) => dayKey(p.from) <= now && now < dayKey(p.to)) ?? period(thisYear);
  return candidates.find((p) => dayKey(p.from) <= now) ?? null;
}
