/**
 * Inputs and outputs of retrieval (tags, search, context): the single definition every transport uses.
 * Values only (zod, no database code), exported through `@memory-mirror/api/schemas`.
 */
import { z } from "zod";
import { limitUpTo } from "../fields.ts";
import { embeddingField, tagsField, videoAnalysisSchema, videoIdField } from "./schemas.ts";
import { memoryFilterFields } from "./filter-schemas.ts";
import { nowField, WHEN_NEEDS, whenField, whenRangeSchema } from "./when-schemas.ts";
import {
  CONTEXT_DEFAULT_CHARS,
  CONTEXT_MAX_CHARS,
  CONTEXT_MIN_CHARS,
  CONTEXT_VIDEO_IDS_MAX,
  MIN_SCORE_DEFAULT,
  QUERY_MAX_LENGTH,
  SEARCH_LIMIT_DEFAULT,
  SEARCH_LIMIT_MAX,
  TAGS_LIMIT_DEFAULT,
  TAGS_LIMIT_MAX,
} from "../limits.ts";

// With the u flag a surrogate pair is one code point, so \p{Cs} matches only unpaired halves.
const LONE_SURROGATE = /\p{Cs}/u;

/**
 * What a person types. Search syntax is not interpreted beyond "double quotes make a phrase": operators of SQL or
 * tsquery are plain text. Blank, NUL and unpaired surrogates are refused (PostgreSQL cannot compare them).
 */
export const queryField = z
  .string({ error: "query must be a string" })
  .max(QUERY_MAX_LENGTH, `query must be at most ${QUERY_MAX_LENGTH} characters`)
  .refine((s) => s.trim() !== "", "query must not be blank")
  .refine((s) => !s.includes("\0"), "query must not contain NUL characters")
  .refine((s) => !LONE_SURROGATE.test(s), "query must be well-formed Unicode (it holds a lone surrogate)")
  .meta({
    description:
      "Words as a person says them; stems, typos and partial words still match. Double quotes mark a phrase. " +
      `At most ${QUERY_MAX_LENGTH} characters.`,
    example: "what did I cook for Mia's birthday?",
  });

export const searchLimitField = limitUpTo(SEARCH_LIMIT_MAX);

export const queryEmbeddingField = embeddingField.meta({
  description:
    "A query vector from the same embedding model as the stored ones; only analyses with that model (and dimension) " +
    "are compared.",
  example: { model: "marengo-2.7", values: [0.12, -0.03, 0.5] },
});

export const filterTagsField = tagsField.meta({
  description: "Only analyses carrying every one of these tags.",
  example: ["family"],
});

/** Built per transport so its messages name the field as the caller spells it (`min_score` over REST). */
export const minScoreField = (name = "minScore") =>
  z
    .number({ error: `${name} must be a number` })
    .min(0, `${name} must be between 0 and 1`)
    .max(1, `${name} must be between 0 and 1`)
    .meta({
      description:
        `Leave out memories scoring below this (0–1; see score); ${MIN_SCORE_DEFAULT} when absent. 0 keeps every ` +
        "match; an embedding alone scores its cosine similarity, whose scale depends on the model.",
    });

export const SEARCH_NEEDS = "search needs a query, an embedding, or both";
export const CONTEXT_NEEDS = "context needs a query, an embedding or videoIds";

export const searchInput = z
  .object({
    query: queryField.optional(),
    embedding: queryEmbeddingField.optional(),
    tags: filterTagsField.optional(),
    ...memoryFilterFields,
    when: whenField.optional(),
    now: nowField().optional(),
    limit: searchLimitField.default(SEARCH_LIMIT_DEFAULT),
    minScore: minScoreField().default(MIN_SCORE_DEFAULT),
  })
  .strict()
  .refine((input) => input.query !== undefined || input.embedding !== undefined, {
    message: SEARCH_NEEDS,
    path: ["query"],
  })
  .refine((input) => input.now === undefined || input.when !== undefined, { message: WHEN_NEEDS, path: ["now"] });

export const searchScoresSchema = z
  .object({
    text: z
      .number()
      .nullable()
      .meta({ description: "Full-text rank (English stems), 0–1; null when no word matched." }),
    trigram: z.number().nullable().meta({
      description: "How closely the memory's words match the query's (typos, partial words), 0–1; null when none did.",
    }),
    vector: z
      .number()
      .nullable()
      .meta({ description: "Cosine similarity to the query embedding, -1–1; null without one of the same model." }),
  })
  .meta({ id: "SearchScores" });

export const searchHitSchema = z
  .object({
    analysis: videoAnalysisSchema,
    score: z.number().meta({
      description:
        "How well the memory answers the query on its own terms, 0–1, comparable across queries: the share of the " +
        "query's content words and phrases it holds (typos count partly) and, with an embedding, its cosine " +
        "similarity; with both, their mean (never below the cosine). About 0.3: touches the query (one word of three); 0.6: covers most " +
        "of it; 0.9 and above: holds all of it.",
    }),
    highlight: z
      .string()
      .nullable()
      .meta({ description: "The passage that matched, words marked **like this**; null when no word matched." }),
    scores: searchScoresSchema,
  })
  .meta({ id: "SearchHit" });

export const searchOutput = z.object({
  items: z.array(searchHitSchema),
  when: whenRangeSchema.optional().meta({ description: "How when was read (only when it was given)." }),
});

export const tagsInput = z
  .object({
    limit: limitUpTo(TAGS_LIMIT_MAX).default(TAGS_LIMIT_DEFAULT),
  })
  .strict()
  .default({ limit: TAGS_LIMIT_DEFAULT });

export const tagCountSchema = z.object({ tag: z.string(), count: z.number().int() }).meta({ id: "TagCount" });
export const tagsOutput = z.object({
  items: z.array(tagCountSchema).meta({ description: "Most used first (then alphabetically)." }),
});

/** Built per transport so its messages name the field as the caller spells it (`max_chars` over REST). */
export const maxCharsField = (name = "maxChars") =>
  z
    .number({ error: `${name} must be a number` })
    .int(`${name} must be a whole number`)
    .min(CONTEXT_MIN_CHARS, `${name} must be at least ${CONTEXT_MIN_CHARS}`)
    .max(CONTEXT_MAX_CHARS, `${name} must be at most ${CONTEXT_MAX_CHARS}`)
    .meta({
      description: `The most characters (UTF-16 code units, JavaScript's length) text may hold; ${CONTEXT_DEFAULT_CHARS} when absent.`,
    });

export const contextVideoIdsField = (name = "videoIds") =>
  z
    .array(videoIdField(name), { error: `${name} must be an array of strings` })
    .min(1, `${name} must hold at least one videoId`)
    .max(CONTEXT_VIDEO_IDS_MAX, `at most ${CONTEXT_VIDEO_IDS_MAX} ${name}`)
    .meta({ description: "These memories, in this order (unknown ones are left out), instead of search results." });

export const contextInput = z
  .object({
    query: queryField.optional(),
    embedding: queryEmbeddingField.optional(),
    videoIds: contextVideoIdsField().optional(),
    tags: filterTagsField.optional(),
    ...memoryFilterFields,
    when: whenField.optional(),
    now: nowField().optional(),
    maxChars: maxCharsField().default(CONTEXT_DEFAULT_CHARS),
    minScore: minScoreField().default(MIN_SCORE_DEFAULT),
  })
  .strict()
  .refine((input) => input.query !== undefined || input.embedding !== undefined || input.videoIds !== undefined, {
    message: CONTEXT_NEEDS,
    path: ["query"],
  })
  .refine((input) => input.now === undefined || input.when !== undefined, { message: WHEN_NEEDS, path: ["now"] });

export const contextSourceSchema = z
  .object({
    videoId: z.string(),
    score: z.number().nullable().meta({ description: "The search score; null for memories named by videoIds." }),
    chars: z.number().int().meta({ description: "Characters of text this memory's block takes (header included)." }),
  })
  .meta({ id: "ContextSource" });

export const contextOutput = z.object({
  text: z.string().meta({
    description:
      "The memories for a prompt, best first, each under a header line `## <date> · <videoId> · <tags>` (the " +
      "recording's own calendar day, else `stored <day>`; no tags part when it has none), e.g. " +
      "`## 2019-07-14 · vid_123 · beach, family` (a description's own lines starting with `#` get a backslash), " +
      "then a line in parentheses saying how many memories were considered and left out; when none answers, only " +
      "that line.",
  }),
  sources: z.array(contextSourceSchema),
  considered: z.number().int().meta({
    description: "Memories the search found or videoIds named; those not in sources were left out (weak or no room).",
  }),
  truncated: z.boolean().meta({
    description: "True when a description was cut (at a word, with …) or a memory left out for lack of room.",
  }),
  when: whenRangeSchema.optional().meta({ description: "How when was read (only when it was given)." }),
});

export type SearchInput = z.output<typeof searchInput>;
export type SearchOutput = z.input<typeof searchOutput>;
export type SearchHit = z.input<typeof searchHitSchema>;
export type TagsInput = z.output<typeof tagsInput>;
export type TagsOutput = z.output<typeof tagsOutput>;
export type ContextInput = z.output<typeof contextInput>;
export type ContextOutput = z.output<typeof contextOutput>;
