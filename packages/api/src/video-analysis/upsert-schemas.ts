/** Input and output of upsert: one analysis created or brought to this content (service.ts). */
import { z } from "zod";
import { metadataField } from "./metadata-schemas.ts";
import { recordedAtField } from "./recorded-at-schemas.ts";
import {
  descriptionField,
  embeddingField,
  expectedVersionField,
  tagsField,
  videoAnalysisSchema,
  videoIdField,
} from "./schemas.ts";

export const UPSERT_STATUSES = ["created", "updated", "unchanged"] as const;
export type UpsertStatus = (typeof UPSERT_STATUSES)[number];

export const upsertInput = z
  .object({
    videoId: videoIdField(),
    description: descriptionField(),
    tags: tagsField.optional().meta({ description: "Replaces the stored tags; omitted keeps them ([] on create)." }),
    embedding: embeddingField
      .nullable()
      .optional()
      .meta({ description: "Replaces the stored embedding; null removes it; omitted keeps it." }),
    recordedAt: recordedAtField()
      .nullable()
      .optional()
      .meta({ description: "Replaces the recording time; null removes it; omitted keeps it." }),
    metadata: metadataField()
      .nullable()
      .optional()
      .meta({ description: "Replaces the metadata; null removes it; omitted keeps it." }),
    expectedVersion: expectedVersionField.optional(),
  })
  .strict();

export const upsertOutput = z.object({
  analysis: videoAnalysisSchema,
  status: z.enum(UPSERT_STATUSES).meta({
    description:
      "created: it was new; updated: a new version; unchanged: it already had this content (no new version).",
  }),
});

export type UpsertInput = z.output<typeof upsertInput>;
