import { RECENT_CHANGES_LIMIT_MAX, recentChangesInput } from "@memory-mirror/api/schemas";
import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import type { MemoryApi } from "../memory-api.ts";
import { type InternalErrorHandler, toolResult } from "../tool-result.ts";

/** What is new: an LLM app asks instead of subscribing (live streams are for programs: docs/live-changes.md). */
export function registerChangeTools(server: McpServer, api: MemoryApi, onInternalError?: InternalErrorHandler): void {
  server.registerTool(
    "recent_changes",
    {
      title: "What changed in the memories",
      description:
        "Memories created, updated or deleted after an event id (afterId) or since a time (since, ISO 8601), oldest " +
        `first, at most limit (1 to ${RECENT_CHANGES_LIMIT_MAX}, default 100). Returns { items: [{ id, event: { type, ` +
        "videoId, version, at, tags, analysis? } }], nextAfterId, more }: call again with afterId = nextAfterId to " +
        "continue or, later, to learn what is new since. type resync means changes after afterId were pruned: read " +
        "the memories again. Optional tags / videoIds narrow it.",
      inputSchema: recentChangesInput,
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    (args) => toolResult("recent_changes", () => api.videoAnalysis.recentChanges(args), onInternalError),
  );
}
