/** `videoAnalysis.onChange`: the caller's space's changes over SSE, each tracked with its id so reconnects resume. */
import { tracked, TRPCError } from "@trpc/server";
import { procedure } from "../trpc.ts";
import { wireEvent } from "./log.ts";
import { controlEvent } from "./events.ts";
import { recentChanges as readRecent } from "./recent.ts";
import {
  changeEventSchema,
  onChangeInput,
  recentChangesInput,
  recentChangesOutput,
  streamTokenInput,
  streamTokenOutput,
} from "./schemas.ts";
import { mintStreamToken } from "./stream-token.ts";

export const onChange = procedure
  .meta({
    summary:
      "Changes to the analyses of your space as they happen (SSE); resumes after lastEventId / Last-Event-ID exactly",
    scopes: ["read"],
    events: changeEventSchema,
  })
  .input(onChangeInput)
  .subscription(async function* ({ ctx, input, signal }) {
    const feed = ctx.changes;
    if (!feed) throw new TRPCError({ code: "SERVICE_UNAVAILABLE", message: "Live changes are not served here" });
    const stream = feed.stream(ctx.space, {
      tags: input.tags,
      videoIds: input.videoIds ? new Set(input.videoIds) : undefined,
      after: input.lastEventId ? BigInt(input.lastEventId) : undefined,
      signal,
    });
    for await (const item of stream) {
      if (item.kind === "change") yield tracked(item.change.id.toString(), wireEvent(item.change));
      else yield tracked(item.id.toString(), controlEvent(item.kind, item.at));
    }
  });

/** `videoAnalysis.recentChanges`: what changed after an event id or since a time, a bounded page (MCP's recent_changes). */
export const recentChanges = procedure
  .meta({
    summary: "Changes to the analyses of your space after an event id or since a time, oldest first, a page at a time",
    scopes: ["read"],
  })
  .input(recentChangesInput)
  .output(recentChangesOutput)
  .query(({ ctx, input }) => readRecent(ctx, input));

/** `videoAnalysis.streamToken`: a minute's token that opens this key's change streams where headers cannot be sent. */
export const streamToken = procedure
  .meta({
    summary:
      "A short-lived token (60 s) that opens change streams of this key and space as ?token=, for browsers' EventSource",
    scopes: ["read"],
    keyOnly: true,
  })
  .input(streamTokenInput)
  .output(streamTokenOutput)
  .mutation(({ ctx }) => mintStreamToken(ctx.prisma, ctx.principal, ctx.space));
