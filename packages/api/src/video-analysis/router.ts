import type { TRPCRouterRecord } from "@trpc/server";
import { procedure } from "../trpc.ts";
import { createInput, listInput, listOutput, updateInput, videoAnalysisSchema, videoIdInput } from "./schemas.ts";
import { videoAnalysisService as service } from "./service.ts";
import { searchService } from "./search.ts";
import { contextInput, contextOutput, searchInput, searchOutput, tagsInput, tagsOutput } from "./search-schemas.ts";

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

  // Retrieval for the clone (search.ts): what a person asks, not a videoId they know.
  tags: procedure
    .meta({ summary: "Tags in use with how many analyses carry each, most used first" })
    .input(tagsInput)
    .output(tagsOutput)
    .query(({ ctx, input }) => searchService.tags(ctx, input)),

  search: procedure
    .meta({ summary: "Find analyses by words (stems, typos, partial words), by embedding, or both; best first" })
    .input(searchInput)
    .output(searchOutput)
    .query(({ ctx, input }) => searchService.search(ctx, input)),

  context: procedure
    .meta({ summary: "The best memories as one block of text for an LLM prompt, never longer than maxChars" })
    .input(contextInput)
    .output(contextOutput)
    .query(({ ctx, input }) => searchService.context(ctx, input)),
} satisfies TRPCRouterRecord;
