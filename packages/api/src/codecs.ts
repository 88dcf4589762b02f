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
 * A point in time the service already holds as the wire's text (stored-row.ts's isoText, toISOString's form): the
 * same wire type and check as `timestamp`'s, without a Date made and formatted again for every answer.
 */
export const isoTimestamp = z.iso.datetime();
