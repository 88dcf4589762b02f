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
