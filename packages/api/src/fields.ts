/** Input fields several operations share, so each is worded (and limited) alike wherever it appears. */
import "./messages.ts";
import { z } from "zod";

/**
 * An input date-time in UTC (ISO-8601, `Z`), with messages naming the field; year 0 has no date in PostgreSQL's
 * calendar (1 BC is followed by AD 1).
 */
export const utcDateTimeInput = (name: string) =>
  z.iso
    .datetime({ error: `${name} must be an ISO-8601 date-time in UTC, e.g. 2026-11-26T15:00:00.000Z` })
    .refine((value) => !value.startsWith("0000"), `${name} must be in the year 0001 or later`);

/** A `limit` of at most `max` items: a whole number from 1 up, with the same messages on every operation. */
export const limitUpTo = (max: number) =>
  z
    .number({ error: "limit must be a number" })
    .int("limit must be a whole number")
    .min(1, "limit must be at least 1")
    .max(max, `limit must be at most ${max}`);
