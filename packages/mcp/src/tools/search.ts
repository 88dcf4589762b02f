import {
  CONTEXT_MAX_CHARS,
  CONTEXT_MIN_CHARS,
  contextInput,
  SEARCH_LIMIT_MAX,
  searchInput,
  tagsInput,
} from "@memory-mirror/api/schemas";
import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import type { MemoryApi } from "../memory-api.ts";
import { type InternalErrorHandler, toolResult } from "../tool-result.ts";

const WORDS =
  "Words match as a person means them: other forms of a word (cooked/cooking), typos and partial words still " +
  "find the memory; double quotes make a phrase.";

/** Retrieval tools: the clone looks up what the user lived through by meaning, not by videoId. */
export function registerSearchTools(server: McpServer, api: MemoryApi, onInternalError?: InternalErrorHandler): void {
  const calls = api.videoAnalysis;

  server.registerTool(
    "build_context",
    {
      title: "Recall memories for an answer",
      description:
        "Use this before answering anything about the user's own life or past (\"what did I cook for Mia's " +
        'birthday?", "when did Leo learn to swim?"): returns { text, sources, truncated } where text is the most ' +
        "relevant memories, best first, each under a line `## <videoId> (<date>)`, ready to read, never longer " +
        `than maxChars (${CONTEXT_MIN_CHARS}–${CONTEXT_MAX_CHARS}; about 4 characters per token). Pass the user's ` +
        "question as query, or videoIds you already chose (e.g. from search_memories) to get exactly those. " +
        `${WORDS} truncated is true when some memory was cut or left out for lack of room.`,
      inputSchema: contextInput,
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    (args) => toolResult("build_context", () => calls.context(args), onInternalError),
  );

  server.registerTool(
    "search_memories",
    {
      title: "Search memories",
      description:
        "Find the user's videos about something when you need to browse, compare or pick them rather than read them " +
        "into an answer (for that, build_context is cheaper): returns { items } best first, each { analysis, score, " +
        "highlight, scores: { text, trigram, vector } } with the matching passage marked **like this**. " +
        `${WORDS} Narrow with tags (all must match; list_memory_tags shows them); an embedding is only for callers ` +
        `holding a vector of the video model. limit 1–${SEARCH_LIMIT_MAX} (default 10).`,
      inputSchema: searchInput,
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    (args) => toolResult("search_memories", () => calls.search(args), onInternalError),
  );

  server.registerTool(
    "list_memory_tags",
    {
      title: "List memory tags",
      description:
        "The tags on the user's videos with how many carry each, most used first ({ items: [{ tag, count }] }): to " +
        "learn which tags exist before filtering search_memories or build_context by them.",
      inputSchema: tagsInput.unwrap(),
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    (args) => toolResult("list_memory_tags", () => calls.tags(args), onInternalError),
  );
}
