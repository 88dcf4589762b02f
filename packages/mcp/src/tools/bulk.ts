import {
  BULK_MAX_ITEMS,
  byVideoIdsInput,
  encodeHistoryCursor,
  HISTORY_PAGE_DEFAULT,
  HISTORY_PAGE_MAX,
  historyInput,
  upsertInput,
} from "@memory-mirror/api/schemas";
import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import type { MemoryApi } from "../memory-api.ts";
import { type InternalErrorHandler, toolResult } from "../tool-result.ts";

/** The history tool takes the procedure's schema with descriptions a model needs (as list does in video-analysis.ts). */
const historyFields = historyInput.shape;
const historyArguments = historyInput.extend({
  limit: historyFields.limit.meta({
    description: `How many earlier versions to return, 1 to ${HISTORY_PAGE_MAX} (default ${HISTORY_PAGE_DEFAULT}).`,
  }),
  cursor: historyFields.cursor.meta({
    description: "nextCursor from the previous page, to get the next one; omit for the first page.",
  }),
});

/**
 * Tools for the clone's bulk reads and the producer's idempotent writes: the clone fetches dozens of
 * memories per answer in one call, and a retried write is harmless.
 */
export function registerBulkTools(server: McpServer, api: MemoryApi, onInternalError?: InternalErrorHandler): void {
  const calls = api.videoAnalysis;

  server.registerTool(
    "upsert_video_analysis",
    {
      title: "Store or update a video's analysis",
      description:
        "Create the analysis of a video, or bring an existing one to this content. Returns { analysis, status } where " +
        "status is created, updated (a new version; the old one is kept in the history) or unchanged (it already had " +
        "exactly this content: nothing changes, so retrying is safe). Omitted tags or embedding keep the stored ones. " +
        "expectedVersion makes the write conditional: it fails if the analysis is no longer at that version.",
      inputSchema: upsertInput,
      annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false },
    },
    (args) => toolResult("upsert_video_analysis", () => calls.upsert(args), onInternalError),
  );

  server.registerTool(
    "get_video_analyses",
    {
      title: "Get the analyses of several videos",
      description:
        `Get the analyses of up to ${BULK_MAX_ITEMS} videos at once, by videoId. Returns { items } in the order asked, ` +
        "with null for a video that has no analysis. One call instead of one per video.",
      inputSchema: byVideoIdsInput,
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    (args) => toolResult("get_video_analyses", () => calls.byVideoIds(args), onInternalError),
  );

  server.registerTool(
    "get_video_analysis_history",
    {
      title: "Earlier versions of a video's analysis",
      description:
        "The earlier versions of a video's analysis, newest first (never the current one): { items: [{ version, " +
        "description, tags, embeddingModel, changedAt }], nextCursor }. changedAt is when that version was written. " +
        "Fails when the video has no analysis.",
      inputSchema: historyArguments,
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    ({ videoId, limit, cursor }) =>
      // The SDK hands over the decoded cursor; the procedure takes the opaque string the client sent.
      toolResult(
        "get_video_analysis_history",
        () => calls.history({ videoId, limit, cursor: cursor == null ? cursor : encodeHistoryCursor(cursor) }),
        onInternalError,
      ),
  );
}
