import "./messages.ts";
import { z } from "zod";

/**
 * A point in time: a Date in the service, an ISO-8601 string on the wire, so JSON clients (curl included) get
 * exactly what the types say.
 */
export const timestamp = z.codec(z.date(), z.iso.datetime(), {
  decode: (date) => date.toISOString(),
  encode: (iso) => new Date(iso),
});

/**
 * An input date-time in UTC (ISO-8601, `Z`), with messages naming the field; year 0 has no date in PostgreSQL's
 * calendar (1 BC is followed by AD 1).
 */
export const utcDateTimeInput = (name: string) =>
  z.iso
    .datetime({ error: `${name} must be an ISO-8601 date-time in UTC, e.g. 2026-11-26T15:00:00.000Z` })
    .refine((value) => !value.startsWith("0000"), `${name} must be in the year 0001 or later`);
