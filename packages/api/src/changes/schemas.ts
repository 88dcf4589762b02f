/**
 * Live changes: what a subscriber asks for and the events it receives (tRPC `videoAnalysis.onChange`, REST
 * `GET /api/changes`, MCP `recent_changes`, `mm watch`). Values only, like every schemas file.
 */
import { z } from "zod";
import { limitUpTo } from "../fields.ts";
import { timestamp } from "../codecs.ts";
import { tagsField, videoAnalysisSchema, videoIdField } from "../video-analysis/schemas.ts";

export const CHANGE_VIDEO_IDS_MAX = 1000;
export const RECENT_CHANGES_LIMIT_MAX = 1000;
export const RECENT_CHANGES_LIMIT_DEFAULT = 100;

/** A change id as events carry it: a decimal string (a PostgreSQL bigint does not fit a JSON number). */
export const changeIdField = (name = "lastEventId") =>
  z
    .string({ error: `${name} must be a string` })
    .regex(/^\d{1,19}$/, `${name} must be the id of an earlier event (digits)`)
    // Only once it is digits (refinements run after a failed regex too, and BigInt throws on anything else).
    .refine((id) => !/^\d+$/.test(id) || BigInt(id) <= 9_223_372_036_854_775_807n, `${name} is too large`);

const tagsFilter = tagsField
  .optional()
  .meta({ description: "Only changes to analyses carrying every one of these tags." });
const videoIdsFilter = z
  .array(videoIdField("videoIds"), { error: "videoIds must be an array of strings" })
  .min(1, "videoIds must hold at least one videoId")
  .max(CHANGE_VIDEO_IDS_MAX, `videoIds must hold at most ${CHANGE_VIDEO_IDS_MAX} videoIds`)
  .optional()
  .meta({ description: "Only changes to these videos." });

export const onChangeInput = z
  .object({
    tags: tagsFilter,
    videoIds: videoIdsFilter,
    lastEventId: changeIdField()
      .nullish()
      .meta({
        description:
          "Resume after this event: every later change once, in order. Omitted: changes from now on. " +
          "The client sets it by itself when it reconnects (like the Last-Event-ID header).",
      }),
  })
  .strict()
  .default({});

const at = timestamp.meta({ description: "When the change was recorded." });
const videoId = z.string();
const version = z.number().int();
const tags = z.array(z.string()).meta({ description: "The analysis's tags after the change (deleted: before)." });

export const changeEventSchema = z
  .discriminatedUnion("type", [
    z.object({
      type: z.enum(["created", "updated"]),
      videoId,
      version: version.meta({ description: "The version this change produced." }),
      at,
      tags,
      analysis: videoAnalysisSchema.optional().meta({
        description:
          "The analysis as this change left it (without embedding values); absent when a later change has " +
          "already replaced it (that change's event carries the newer one).",
      }),
    }),
    z.object({
      type: z.literal("deleted"),
      videoId,
      version: version.meta({ description: "The version deleted." }),
      at,
      tags,
    }),
    z
      .object({
        type: z.literal("ready"),
        at,
      })
      .meta({
        description:
          "First event of a stream that starts from now (no lastEventId): its id is where the stream starts, so a " +
          "client that reconnects before any change resumes from it and misses nothing.",
      }),
    z.object({
      type: z.literal("resync"),
      at,
      reason: z.string().meta({
        description:
          "Why: the changes after the id resumed from were pruned (CHANGES_RETENTION). Read the current state " +
          "again (list/export); events continue after this one.",
      }),
    }),
  ])
  .meta({ id: "ChangeEvent" });

/** A change event as clients receive it (timestamps as ISO strings). */
export type ChangeEvent = z.output<typeof changeEventSchema>;
/** A change event as the service makes it (its `at` a Date; the analysis's timestamps already ISO text). */
export type ChangeEventRow = z.input<typeof changeEventSchema>;

/** `recent_changes`: changes after an event id or since a time, oldest first, a bounded page. */
export const recentChangesInput = z
  .object({
    afterId: changeIdField("afterId").optional().meta({ description: "Changes after this event id." }),
    since: z.iso
      .datetime({ offset: true, error: "since must be an ISO-8601 date-time, e.g. 2026-12-06T00:00:00Z" })
      .optional()
      .meta({ description: "Changes recorded at or after this time (when afterId is not given)." }),
    tags: tagsFilter,
    videoIds: videoIdsFilter,
    limit: limitUpTo(RECENT_CHANGES_LIMIT_MAX).default(RECENT_CHANGES_LIMIT_DEFAULT),
  })
  .strict();

export const recentChangesOutput = z.object({
  items: z.array(z.object({ id: z.string(), event: changeEventSchema })),
  nextAfterId: z
    .string()
    .meta({ description: "Pass as afterId to continue after this page (later, to learn what is new since)." }),
  more: z.boolean().meta({ description: "True when more changes follow right away (call again with nextAfterId)." }),
});

export type OnChangeInput = z.output<typeof onChangeInput>;
export type RecentChangesInput = z.output<typeof recentChangesInput>;
export type RecentChanges = z.input<typeof recentChangesOutput>;

/** `streamToken`: nothing to ask; the token is for the calling key in the space the call acts in. */
export const streamTokenInput = z.object({}).strict().default({});

export const streamTokenOutput = z.object({
  token: z.string().meta({
    description:
      "Opens change streams of this key and space only, as ?token= on GET /api/changes or videoAnalysis.onChange " +
      "(for EventSource, which cannot send headers); not an API key anywhere else.",
  }),
  expiresAt: timestamp.meta({ description: "Streams must be opened before this (a minute from now)." }),
});
