/**
 * `mm search` and `mm context`: the clone's own calls (what a person asks, not a videoId they know), with the API's
 * options under their CLI names. Added to the program by main.ts.
 */
import {
  CONTEXT_DEFAULT_CHARS,
  CONTEXT_MAX_CHARS,
  CONTEXT_MIN_CHARS,
  MIN_SCORE_DEFAULT,
  minScoreField,
  nowField,
  SEARCH_LIMIT_DEFAULT,
  SEARCH_LIMIT_MAX,
  type WhenRange,
} from "@memory-mirror/api/schemas";
import type { MemoryMirrorClient, VideoAnalysis } from "@memory-mirror/client";
import { whenLine } from "@memory-mirror/mcp";
import { type Command, Option } from "commander";
import type { GlobalOptions } from "./commands.ts";
import { addFilterOptions, check, type FilterOptions, filterInput, wholeNumber } from "./options.ts";
import { excerpt, printJson, printLine, printMessage } from "./output.ts";
import { tagList } from "./watch.ts";

interface RetrievalOptions extends GlobalOptions, FilterOptions {
  tags?: string[];
  when?: string;
  now?: string;
  minScore?: number;
}

export interface SearchOptions extends RetrievalOptions {
  limit: number;
}

export interface ContextOptions extends RetrievalOptions {
  maxChars?: number;
}

function parseMinScore(value: string): number {
  // Number("") is 0: an empty value must not read as "keep every match".
  const n = value.trim() === "" ? Number.NaN : Number(value);
  check(minScoreField("--min-score").safeParse(n));
  return n;
}

function parseNow(value: string): string {
  check(nowField("--now").safeParse(value));
  return value;
}

/** The input both procedures share: the question and its filters. */
function retrievalInput(query: string[], opts: RetrievalOptions) {
  return {
    query: query.join(" "),
    ...(opts.tags?.length ? { tags: opts.tags } : {}),
    ...filterInput(opts),
    ...(opts.when !== undefined ? { when: opts.when } : {}),
    ...(opts.now !== undefined ? { now: opts.now } : {}),
    ...(opts.minScore !== undefined ? { minScore: opts.minScore } : {}),
  };
}

/** The day a memory is about: the recording's calendar day in its own offset, else the day it was stored, so marked. */
const day = (analysis: VideoAnalysis) =>
  analysis.recordedAt ? analysis.recordedAt.slice(0, 10) : `stored ${analysis.createdAt.slice(0, 10)}`;

/** One search hit per line, tab-separated as `mm ls` writes them (`cut -f2` gives the videoIds). */
export function searchLine({ analysis, score }: { analysis: VideoAnalysis; score: number }): string {
  return [score.toFixed(2), analysis.videoId, day(analysis), excerpt(analysis.description)].join("\t");
}

/** How `when` was read goes to stderr, as a note beside the data: stdout stays one line per hit for scripts. */
const noteWhen = (when: WhenRange | undefined) => {
  if (when) printMessage(whenLine(when));
};

export async function search(client: MemoryMirrorClient, query: string[], opts: SearchOptions) {
  const output = await client.videoAnalysis.search.query({ ...retrievalInput(query, opts), limit: opts.limit });
  if (opts.json) return printJson(output);
  noteWhen(output.when);
  for (const hit of output.items) printLine(searchLine(hit));
  if (output.items.length === 0) {
    const minScore = opts.minScore ?? MIN_SCORE_DEFAULT;
    printMessage(`(no memory scores ${minScore} or more; a lower --min-score shows weaker matches)`);
  }
}

export async function context(client: MemoryMirrorClient, query: string[], opts: ContextOptions) {
  const output = await client.videoAnalysis.context.query({
    ...retrievalInput(query, opts),
    ...(opts.maxChars !== undefined ? { maxChars: opts.maxChars } : {}),
  });
  if (opts.json) return printJson(output);
  noteWhen(output.when);
  printLine(output.text);
}

/** The options search and context share, under the names the API gives them. */
function addRetrievalOptions(command: Command): Command {
  return addFilterOptions(command)
    .argument("<query...>", "the question, as a person asks it (its words are joined by spaces)")
    .addOption(
      new Option("--tags <tags>", "only memories carrying all these tags (comma-separated, repeatable)").argParser(
        tagList,
      ),
    )
    .option("--when <phrase>", 'the time the question is about: "last summer", "in 2019", "two weeks ago"…')
    .addOption(
      new Option("--now <iso>", "the moment --when is read from (its offset gives the calendar)").argParser(parseNow),
    )
    .addOption(
      new Option(
        "--min-score <score>",
        `leave out memories scoring below this, 0-1 (default ${MIN_SCORE_DEFAULT})`,
      ).argParser(parseMinScore),
    );
}

export function registerRetrievalCommands(program: Command, client: (command: Command) => MemoryMirrorClient): void {
  addRetrievalOptions(program.command("search"))
    .description("find the memories that answer a question, best first: score, videoId, day, start of the description")
    .addOption(
      new Option("--limit <n>", `how many at most (1-${SEARCH_LIMIT_MAX})`)
        .default(SEARCH_LIMIT_DEFAULT)
        .argParser(wholeNumber(1, SEARCH_LIMIT_MAX)),
    )
    .action((query: string[], _opts: object, command: Command) =>
      search(client(command), query, command.optsWithGlobals<SearchOptions>()),
    );

  addRetrievalOptions(program.command("context"))
    .description("print the memories that answer a question as one block of text for a prompt")
    .addOption(
      new Option(
        "--max-chars <n>",
        `the most characters the text may hold (${CONTEXT_MIN_CHARS}-${CONTEXT_MAX_CHARS}, default ${CONTEXT_DEFAULT_CHARS})`,
      ).argParser(wholeNumber(CONTEXT_MIN_CHARS, CONTEXT_MAX_CHARS)),
    )
    .action((query: string[], _opts: object, command: Command) =>
      context(client(command), query, command.optsWithGlobals<ContextOptions>()),
    );
}
