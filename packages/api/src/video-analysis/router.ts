import type { TRPCRouterRecord } from "@trpc/server";
import { onChange, recentChanges, streamToken } from "../changes/subscription.ts";
import { procedure } from "../trpc.ts";
import {
  byVideoIdsInput,
  byVideoIdsOutput,
  deleteManyInput,
  deleteManyOutput,
  sendsRestoreItems,
  upsertManyInput,
  upsertManyOutput,
} from "./bulk-schemas.ts";
import { exportInput, exportOutput } from "./export-schemas.ts";
import { historyInput, historyOutput } from "./history-schemas.ts";
import { upsertInput, upsertOutput } from "./upsert-schemas.ts";
import { bulkService } from "./bulk.ts";
import { exportService } from "./export.ts";
import { historyService } from "./history.ts";
import {
  createInput,
  deleteInput,
  listInput,
  listOutput,
  updateInput,
  videoAnalysisSchema,
  videoIdInput,
} from "./schemas.ts";
import { videoAnalysisService as service } from "./service.ts";
import { searchService } from "./search-service.ts";
import { withSignal } from "./service-context.ts";
import { contextInput, contextOutput, searchInput, searchOutput, tagsInput, tagsOutput } from "./search-schemas.ts";

export const videoAnalysisRouter = {
  create: procedure
    .meta({ scopes: ["write"], summary: "Store the analysis of a video", errors: ["CONFLICT"] })
    .input(createInput)
    .output(videoAnalysisSchema)
    .mutation(({ ctx, input }) => service.create(ctx, input)),

  byVideoId: procedure
    .meta({ scopes: ["read"], summary: "Get the analysis of a video", errors: ["NOT_FOUND"] })
    .input(videoIdInput)
    .output(videoAnalysisSchema)
    .query(({ ctx, input }) => service.byVideoId(ctx, input)),

  update: procedure
    .meta({
      scopes: ["read", "write"],
      summary: "Change a video's analysis (a new version when anything changes; updatedAt moves forward)",
      errors: ["NOT_FOUND", "CONFLICT"],
    })
    .input(updateInput)
    .output(videoAnalysisSchema)
    .mutation(({ ctx, input }) => service.update(ctx, input)),

  delete: procedure
    .meta({
      scopes: ["read", "write"],
      summary: "Delete the analysis of a video, and its history, and return it",
      errors: ["NOT_FOUND", "CONFLICT"],
    })
    .input(deleteInput)
    .output(videoAnalysisSchema)
    .mutation(({ ctx, input }) => service.delete(ctx, input)),

  list: procedure
    .meta({ scopes: ["read"], summary: "List analyses, newest first, a page at a time" })
    .input(listInput)
    .output(listOutput)
    // The reads that can run long hear the caller hang up (ServiceContext.signal); writes never do.
    .query(({ ctx, input, signal }) => service.list(withSignal(ctx, signal), input)),

  // upsert is service.ts's like the operations above; bulk operations, history and export: bulk.ts, history.ts, export.ts.
  upsert: procedure
    .meta({
      scopes: ["read", "write"],
      summary: "Create a video's analysis or bring it to this content; the same content again changes nothing",
      errors: ["CONFLICT"],
    })
    .input(upsertInput)
    .output(upsertOutput)
    .mutation(({ ctx, input }) => service.upsert(ctx, input)),

  upsertMany: procedure
    .meta({
      scopes: ["write"],
      // A writer must not forge history: only admin keys restore versions and timestamps.
      inputScopes: {
        scopes: ["admin"],
        when: sendsRestoreItems,
        refusal: (key) =>
          `Restoring version, createdAt and updatedAt needs an admin key; this key (${key}) may only write content ` +
          "(send items without them: mm import --content-only)",
      },
      summary:
        "Upsert up to 1,000 analyses atomically and idempotently; version and timestamps restore an export (admin)",
    })
    .input(upsertManyInput)
    .output(upsertManyOutput)
    .mutation(({ ctx, input }) => bulkService.upsertMany(ctx, input)),

  byVideoIds: procedure
    .meta({ scopes: ["read"], summary: "Get the analyses of up to 1,000 videos in the order asked (null where none)" })
    .input(byVideoIdsInput)
    .output(byVideoIdsOutput)
    .query(({ ctx, input }) => bulkService.byVideoIds(ctx, input)),

  deleteMany: procedure
    .meta({ scopes: ["write"], summary: "Delete the analyses (and history) of up to 1,000 videos" })
    .input(deleteManyInput)
    .output(deleteManyOutput)
    .mutation(({ ctx, input }) => bulkService.deleteMany(ctx, input)),

  history: procedure
    .meta({ scopes: ["read"], summary: "Earlier versions of a video's analysis, newest first", errors: ["NOT_FOUND"] })
    .input(historyInput)
    .output(historyOutput)
    .query(({ ctx, input }) => historyService.history(ctx, input)),

  export: procedure
    .meta({ scopes: ["read"], summary: "A page of analyses with everything they have, vectors included (mm export)" })
    .input(exportInput)
    .output(exportOutput)
    .query(({ ctx, input, signal }) => exportService.export(withSignal(ctx, signal), input)),
  // Retrieval for the clone (search.ts): what a person asks, not a videoId they know.
  tags: procedure
    .meta({ scopes: ["read"], summary: "Tags in use with how many analyses carry each, most used first" })
    .input(tagsInput)
    .output(tagsOutput)
    .query(({ ctx, input, signal }) => searchService.tags(withSignal(ctx, signal), input)),

  search: procedure
    .meta({
      scopes: ["read"],
      summary: "Find analyses by words (stems, typos, partial words), by embedding, or both; best first",
    })
    .input(searchInput)
    .output(searchOutput)
    .query(({ ctx, input, signal }) => searchService.search(withSignal(ctx, signal), input)),

  context: procedure
    .meta({
      scopes: ["read"],
      summary: "The best memories as one block of text for an LLM prompt, never longer than maxChars",
    })
    .input(contextInput)
    .output(contextOutput)
    .query(({ ctx, input, signal }) => searchService.context(withSignal(ctx, signal), input)),

  // Live changes (../changes): every write, as it commits, in order, resumable.
  onChange,
  recentChanges,
  streamToken,
} satisfies TRPCRouterRecord;
