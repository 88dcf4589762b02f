import {
  createInput,
  DESCRIPTION_MAX_LENGTH,
  encodeCursor,
  LIST_LIMIT_DEFAULT,
  LIST_LIMIT_MAX,
  listInput,
  updateInput,
  videoIdInput,
} from "@memory-mirror/api/schemas";
import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import type { MemoryApi } from "../memory-api.ts";
import { type InternalErrorHandler, toolResult } from "../tool-result.ts";

const ANALYSIS =
  "An analysis is { id, videoId, description, tags, embedding: { model, dimensions } | null, recordedAt, metadata, " +
  "version, createdAt, updatedAt } with ISO-8601 timestamps; recordedAt is when the video was recorded (in the " +
  "offset it was given with) or null, metadata what the producer knows about it (a JSON object) or null.";

/**
 * The SDK advertises an object schema's input side (the default, the cursor as a string) and hands the handler
 * its output, so the list tool takes the api's own schema without its outer default (arguments always arrive as
 * an object). The descriptions only add what an LLM needs to fill the fields.
 */
const listFields = listInput.unwrap().shape;
const listArguments = listInput.unwrap().extend({
  limit: listFields.limit.meta({
    description: `How many analyses to return, 1 to ${LIST_LIMIT_MAX} (default ${LIST_LIMIT_DEFAULT}).`,
  }),
  cursor: listFields.cursor.meta({
    description: "nextCursor from the previous page, to get the next one; omit for the first page.",
  }),
});

/** The video-analysis tools, each calling the procedure of the same meaning with the api's own input schema. */
export function registerVideoAnalysisTools(
  server: McpServer,
  api: MemoryApi,
  onInternalError?: InternalErrorHandler,
): void {
  const calls = api.videoAnalysis;

  server.registerTool(
    "get_video_analysis",
    {
      title: "Get a video's analysis",
      description:
        "Get the stored analysis of one video: the description of what the video shows, written by the " +
        `video-understanding service. ${ANALYSIS} Fails when the video has no analysis.`,
      inputSchema: videoIdInput,
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    (args) => toolResult("get_video_analysis", () => calls.byVideoId(args), onInternalError),
  );

  server.registerTool(
    "list_video_analyses",
    {
      title: "List video analyses",
      description:
        "List stored video analyses, newest first (orderBy recordedAt: by recording time, oldest first), one page at " +
        "a time, optionally only those recorded in [recordedAfter, recordedBefore) or whose metadata contains an " +
        "object (metadata: { place: 'Lisbon' }). Returns { items, nextCursor }: pass " +
        `nextCursor as cursor to get the next page; it is null on the last page. ${ANALYSIS}`,
      inputSchema: listArguments,
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    ({ cursor, ...rest }) =>
      // The SDK hands over the decoded cursor; the procedure takes the opaque string the client sent.
      toolResult(
        "list_video_analyses",
        () => calls.list({ ...rest, cursor: cursor && encodeCursor(cursor) }),
        onInternalError,
      ),
  );

  server.registerTool(
    "create_video_analysis",
    {
      title: "Store a video's analysis",
      description:
        "Store the analysis of a video that has none yet and return it. A video has at most one analysis: when it " +
        "already has one this fails, and update_video_analysis replaces its description. Descriptions hold up to " +
        `${DESCRIPTION_MAX_LENGTH} characters. Give recordedAt (ISO-8601 with offset) when the recording time is ` +
        "known, and metadata (a small JSON object: place, people, title…) for facts about the video.",
      inputSchema: createInput,
      annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false },
    },
    (args) => toolResult("create_video_analysis", () => calls.create(args), onInternalError),
  );

  server.registerTool(
    "update_video_analysis",
    {
      title: "Replace a video's description",
      description:
        "Change the description, tags, embedding, recordedAt or metadata of a video's existing analysis and return " +
        "it (null removes recordedAt, metadata or embedding; metadata is replaced whole); a change counts a " +
        "new version and moves updatedAt forward, writing what is already stored changes nothing. " +
        "Fails when the video has no analysis yet (create_video_analysis stores a new one).",
      inputSchema: updateInput,
      annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false },
    },
    (args) => toolResult("update_video_analysis", () => calls.update(args), onInternalError),
  );

  server.registerTool(
    "delete_video_analysis",
    {
      title: "Delete a video's analysis",
      description:
        "Delete the analysis of a video for good and return what was deleted. Fails when the video has no analysis.",
      inputSchema: videoIdInput,
      annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: false },
    },
    (args) => toolResult("delete_video_analysis", () => calls.delete(args), onInternalError),
  );
}
