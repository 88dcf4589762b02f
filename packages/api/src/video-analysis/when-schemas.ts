/**
 * `when` and `now` on search and context, and the range a phrase was read as (when.ts reads it). Values only (zod),
 * exported through `@memory-mirror/api/schemas`.
 */
import { z } from "zod";
import { WHEN_MAX_LENGTH } from "../limits.ts";

export const whenField = z
  .string({ error: 'when must be a string, such as "last summer"' })
  .max(WHEN_MAX_LENGTH, `when must be at most ${WHEN_MAX_LENGTH} characters`)
  .refine((s) => s.trim() !== "", "when must not be blank")
  .meta({
    description:
      'The time a question is about, as a person says it: "last summer", "in 2019", "two weeks ago", "July 2019", ' +
      '"Christmas 2021". Only memories recorded in that period are searched (undated ones are left out); the answer ' +
      "says the range it was read as. Put time here rather than in query.",
    example: "last summer",
  });

/** Named per transport, as the other time bounds. */
export const nowField = (name = "now") =>
  z.iso
    .datetime({
      offset: true,
      error: `${name} must be an ISO-8601 date-time with an offset, e.g. 2026-12-06T12:00:00Z`,
    })
    .meta({
      description:
        "The moment `when` is read from, and whose offset gives the calendar (days, weeks, years); the server's " +
        "clock in UTC when absent. Only read with when.",
      example: "2026-12-06T12:00:00+01:00",
    });

export const WHEN_NEEDS = "now is read only with when: give a when phrase, or leave now out";

export const whenRangeSchema = z
  .object({
    phrase: z.string().meta({ description: "The when phrase, as sent." }),
    from: z.string().meta({ description: "Start of the range it was read as (inclusive), ISO 8601 in now's offset." }),
    to: z.string().meta({ description: "End of the range (exclusive), ISO 8601 in now's offset." }),
  })
  .meta({
    id: "WhenRange",
    description: "How when was read; the search used this range, narrowed by recordedAfter/recordedBefore if given.",
  });

export type WhenRange = z.output<typeof whenRangeSchema>;
