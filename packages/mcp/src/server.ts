import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import type { MemoryApi } from "./memory-api.ts";
import type { InternalErrorHandler } from "./tool-result.ts";
import { registerBulkTools } from "./tools/bulk.ts";
import { registerSearchTools } from "./tools/search.ts";
import { registerChangeTools } from "./tools/changes.ts";
import { registerVideoAnalysisTools } from "./tools/video-analysis.ts";

const SERVER_INFO = { name: "memory-mirror", title: "Memory Mirror", version: "1.0.0" } as const;

/** Sent to the client at initialisation; LLM hosts put it in the model's context. */
const INSTRUCTIONS =
  "Memory Mirror is the memory of an AI clone: for each of the user's videos it keeps one analysis, a description " +
  "of what the video shows, written by a video-understanding service. Look one up by its videoId with " +
  "get_video_analysis, browse with list_video_analyses, and keep them current with create_video_analysis, " +
  "update_video_analysis and delete_video_analysis. To recall what the user lived through, build_context returns the " +
  "memories relevant to a question as text for your answer; search_memories finds and ranks videos to pick from. " +
  "upsert_video_analysis stores or updates in one safe-to-retry call, get_video_analyses fetches many videos at " +
  "once, and get_video_analysis_history shows earlier versions.";

export interface McpServerOptions {
  /** A tool failed inside the service: log it; the model only reads "Internal server error". */
  onInternalError?: InternalErrorHandler;
}

/** An MCP server with every Memory Mirror tool, over any transport (HTTP per request, stdio per process). */
export function createMcpServer(api: MemoryApi, options: McpServerOptions = {}): McpServer {
  const server = new McpServer(SERVER_INFO, { instructions: INSTRUCTIONS });
  registerVideoAnalysisTools(server, api, options.onInternalError);
  registerBulkTools(server, api, options.onInternalError);
  registerSearchTools(server, api, options.onInternalError);
  registerChangeTools(server, api, options.onInternalError);
  return server;
}
