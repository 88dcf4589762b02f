import type { TRPCRouterRecord } from "@trpc/server";
import { procedure } from "../trpc.ts";
import { createInput, listInput, listOutput, updateInput, videoAnalysisSchema, videoIdInput } from "./schemas.ts";
import { videoAnalysisService as service } from "./service.ts";

export const videoAnalysisRouter = {
  create: procedure
    .meta({ summary: "Store the analysis of a video", errors: ["CONFLICT"] })
    .input(createInput)
    .output(videoAnalysisSchema)
    .mutation(({ ctx, input }) => service.create(ctx, input)),

  byVideoId: procedure
    .meta({ summary: "Get the analysis of a video", errors: ["NOT_FOUND"] })
    .input(videoIdInput)
    .output(videoAnalysisSchema)
    .query(({ ctx, input }) => service.byVideoId(ctx, input)),

  update: procedure
    .meta({ summary: "Replace the description of a video's analysis; updatedAt moves forward", errors: ["NOT_FOUND"] })
    .input(updateInput)
    .output(videoAnalysisSchema)
    .mutation(({ ctx, input }) => service.update(ctx, input)),

  delete: procedure
    .meta({ summary: "Delete the analysis of a video and return it", errors: ["NOT_FOUND"] })
    .input(videoIdInput)
    .output(videoAnalysisSchema)
    .mutation(({ ctx, input }) => service.delete(ctx, input)),

  list: procedure
    .meta({ summary: "List analyses, newest first, a page at a time" })
    .input(listInput)
    .output(listOutput)
    .query(({ ctx, input }) => service.list(ctx, input)),
} satisfies TRPCRouterRecord;
