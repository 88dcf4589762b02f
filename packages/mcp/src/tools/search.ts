import {
  CONTEXT_DEFAULT_CHARS,
  CONTEXT_MAX_CHARS,
  CONTEXT_MIN_CHARS,
  contextInput,
  contextOutput,
  MIN_SCORE_DEFAULT,
  SEARCH_LIMIT_MAX,
  searchInput,
  tagsInput,
} from "@memory-mirror/api/schemas";
import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import type { MemoryApi } from "../memory-api.ts";
import { type InternalErrorHandler, toolResult } from "../tool-result.ts";
import { memoriesOutput, presentContext, presentSearch, presentTags, tagCountsOutput } from "./search-answers.ts";

const WORDS =
  "Words match as a person means them: other forms of a word (cooked/cooking), typos and partial words still " +
  "find the memory; double quotes make a phrase.";

const FILTERS =
  "recordedAfter (inclusive) and recordedBefore (exclusive), ISO-8601 with an offset, keep only memories recorded " +
  "in that range (undated ones are left out); metadata keeps those whose metadata contains the object given " +
  "(metadata: { place: 'Lisbon' }).";

const WHEN =
  'When the question names a time ("last summer", "in 2019", "two weeks ago", "Christmas 2021"), pass that ' +
  "phrase as when and leave it out of query: memories are found by when they were recorded, and descriptions " +
  "rarely hold dates. The answer starts with the period it was read as; now (ISO 8601) sets the moment it is " +
  "read from, else the server's clock.";

const SCORE =
  "A score (0–1) says how well a memory answers the query on its own terms: about 0.3 touches it (one word of " +
  "three), 0.6 covers most of it, 0.9 and above all of it.";

/** Retrieval tools: the clone looks up what the user lived through by meaning, not by videoId. */
export function registerSearchTools(server: McpServer, api: MemoryApi, onInternalError?: InternalErrorHandler): void {
  const calls = api.videoAnalysis;

  server.registerTool(
    "build_context",
    {
      title: "Recall memories for an answer",
      description:
        "Use this before answering anything about the user's own life or past (\"what did I cook for Mia's " +
        'birthday?", "when did Leo learn to swim?"): returns the memories that answer the question as text ready ' +
        "to read, best first, each under a line `## <date> · <videoId> · <tags>` (the day it was recorded; `stored <day>` when " +
        "that is unknown is the upload day, not when it happened), and a last line saying how many memories " +
        "were considered and left out. When that line says no memory answers, say you do not remember rather " +
        `than guess. ${SCORE} Memories under minScore (default ${MIN_SCORE_DEFAULT}) or far below the best are ` +
        `left out. maxChars ${CONTEXT_MIN_CHARS}–${CONTEXT_MAX_CHARS} (default ${CONTEXT_DEFAULT_CHARS}; about 4 ` +
        "characters per token). Pass the user's question as query, or videoIds you already chose (e.g. from " +
        `search_memories) to get exactly those. ${WHEN} ${WORDS} ${FILTERS}`,
      inputSchema: contextInput,
      outputSchema: contextOutput,
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    (args) => toolResult("build_context", () => calls.context(args), onInternalError, presentContext),
  );

  server.registerTool(
    "search_memories",
    {
      title: "Search memories",
      description:
        "Use this to browse, compare or pick among the user's videos (which ones show something, how often) or to " +
        "find videoIds; to answer a question, build_context is cheaper. Returns one block per memory, best first, " +
        "under a line `## <date> · <videoId> · <tags>` as build_context writes it, then its score and description. " +
        `${SCORE} minScore (default ${MIN_SCORE_DEFAULT}) leaves out ` +
        "weaker matches; no result means nothing answers. " +
        `${WHEN} ${WORDS} Narrow with tags (all must match; list_memory_tags shows them); an embedding is only for callers ` +
        `holding a vector of the video model. ${FILTERS} limit 1–${SEARCH_LIMIT_MAX} (default 10).`,
      inputSchema: searchInput,
      outputSchema: memoriesOutput,
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    (args) =>
      toolResult(
        "search_memories",
        () => calls.search(args),
        onInternalError,
        (output) => presentSearch(output, args.minScore),
      ),
  );

  server.registerTool(
    "list_memory_tags",
    {
      title: "List memory tags",
      description:
        "The tags on the user's videos with how many carry each, most used first: to learn which tags exist " +
        "before filtering search_memories or build_context by them.",
      inputSchema: tagsInput.unwrap(),
      outputSchema: tagCountsOutput,
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    (args) => toolResult("list_memory_tags", () => calls.tags(args), onInternalError, presentTags),
  );
}
