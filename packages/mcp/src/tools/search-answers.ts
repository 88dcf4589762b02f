/**
 * What the retrieval tools answer a model: short text to read (one memory per block, no ids or versions) and the
 * same answer as structured content, with the schemas their outputSchema declares.
 */
import {
  type contextOutput,
  memoryHeader,
  memoryText,
  parseRecordedAt,
  type searchOutput,
  searchScoresSchema,
  tagCountSchema,
  type tagsOutput,
  type WhenRange,
  whenRangeSchema,
} from "@memory-mirror/api/schemas";
import { z } from "zod";
import type { Presented } from "../tool-result.ts";

export const memoryHitSchema = z.object({
  videoId: z.string(),
  recordedAt: z
    .string()
    .nullable()
    .meta({ description: "When the video was recorded (ISO 8601, in the offset it was recorded in), or null." }),
  createdAt: z.string().meta({ description: "When the memory was stored (ISO 8601)." }),
  tags: z.array(z.string()),
  description: z.string(),
  score: z.number().meta({
    description: "How well the memory answers the query, 0–1: about 0.3 touches it, 0.6 covers most, 0.9 all of it.",
  }),
  scores: z.object(searchScoresSchema.shape),
});

export const memoriesOutput = z.object({
  items: z.array(memoryHitSchema).meta({ description: "Best first; empty when nothing scores minScore or more." }),
  minScore: z.number(),
  when: whenRangeSchema.optional().meta({ description: "How when was read (only when it was given)." }),
});

export const tagCountsOutput = z.object({ items: z.array(tagCountSchema) });

/** The score as a model should read it: two decimals and what they mean. */
export function scoreInWords(score: number): string {
  const words =
    score >= 0.9 ? "full match" : score >= 0.6 ? "strong match" : score >= 0.3 ? "partial match" : "weak match";
  return `${score.toFixed(2)}, ${words}`;
}

/**
 * The line that tells a model which period its when phrase was read as (inclusive days), so that a wrong reading is
 * visible rather than silently searched.
 */
export function whenLine({ phrase, from, to }: WhenRange): string {
  // `to` is exclusive: the last day is the one before it, in the range's own offset.
  const { instant, offsetMinutes } = parseRecordedAt(to);
  const lastDay = new Date(instant.getTime() - 1 + offsetMinutes * 60_000).toISOString().slice(0, 10);
  return `Recorded ${from.slice(0, 10)} to ${lastDay} ("${phrase}").`;
}

export function presentSearch(output: z.output<typeof searchOutput>, minScore: number): Presented {
  const items = output.items.map(({ analysis, score, scores }) => ({
    videoId: analysis.videoId,
    recordedAt: analysis.recordedAt,
    createdAt: analysis.createdAt,
    tags: analysis.tags,
    description: analysis.description,
    score,
    scores,
  }));
  const answer =
    items.length === 0
      ? `No memory answers this well enough (none scores ${minScore} or more); a lower minScore shows weaker matches.`
      : [
          `${items.length} ${items.length === 1 ? "memory" : "memories"}, best first:`,
          ...items.map(
            (i) =>
              `${memoryHeader(i.videoId, i.recordedAt, i.createdAt, i.tags)}\n` +
              `Score ${scoreInWords(i.score)}\n${memoryText(i.description)}`,
          ),
        ].join("\n\n");
  const text = output.when ? `${whenLine(output.when)}\n\n${answer}` : answer;
  const structuredContent: z.input<typeof memoriesOutput> = output.when
    ? { items, minScore, when: output.when }
    : { items, minScore };
  return { text, structuredContent };
}

/** The context is already written for a prompt: the text is the answer (after the period when was read as). */
export function presentContext(output: z.output<typeof contextOutput>): Presented {
  const text = output.when ? `${whenLine(output.when)}\n\n${output.text}` : output.text;
  return { text, structuredContent: output };
}

export function presentTags(output: z.output<typeof tagsOutput>): Presented {
  const text =
    output.items.length === 0
      ? "No memory has tags yet."
      : `Tags, most used first: ${output.items.map((t) => `${t.tag} (${t.count})`).join(", ")}`;
  return { text, structuredContent: output };
}
