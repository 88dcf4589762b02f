/** Spaces, key scopes and API keys: who may do what, where. Values only (see ../schemas.ts). */
import { z } from "zod";
import { timestamp } from "../codecs.ts";

/** A space holds one person's memories; every operation acts in exactly one. */
export const SPACE_PATTERN = /^[a-z0-9][a-z0-9_-]{0,62}$/;
export const DEFAULT_SPACE = "default";
/** The space of admin keys: they act in the space a request names (X-MM-Space). */
export const ANY_SPACE = "*";

export const spaceField = z
  .string({ error: "space must be a string" })
  .regex(SPACE_PATTERN, "space must be 1–63 characters of a-z, 0-9, _ and -, starting with a letter or digit")
  .meta({ description: "A space: one person's memories.", example: "alice" });

export const KEY_SCOPES = ["read", "write", "admin"] as const;
export type KeyScope = (typeof KEY_SCOPES)[number];

/** The only prefix keys carry, so secret scanners can recognise a leaked key. */
export const KEY_PREFIX = "mm_";
/** `mm_` and 43 base64url characters: 256 random bits. */
export const KEY_PATTERN = /^mm_[A-Za-z0-9_-]{43}$/;

const keyName = z
  .string({ error: (issue) => (issue.input === undefined ? "name is required" : "name must be a string") })
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, "name must be 1–64 characters of letters, digits, _ . and -")
  .meta({ description: "A name people recognise the key by; unique.", example: "producer" });

export const createKeyInput = z
  .object({
    name: keyName,
    space: z
      .union([spaceField, z.literal(ANY_SPACE)], {
        error: (issue) =>
          issue.input === undefined
            ? "space is required"
            : 'space must be 1–63 characters of a-z, 0-9, _ and -, or "*" for any space (admin keys)',
      })
      .meta({
        description: 'The space the key acts in, or "*" for an admin key acting in any space (chosen per request).',
      }),
    scopes: z
      .array(z.enum(KEY_SCOPES, { error: `scopes must be among ${KEY_SCOPES.join(", ")}` }))
      .min(1, "scopes must name at least one of read, write, admin")
      .transform((scopes) => KEY_SCOPES.filter((s) => scopes.includes(s))),
    expiresAt: z.iso
      .datetime({ error: "expiresAt must be an ISO-8601 date-time, e.g. 2027-01-01T00:00:00Z" })
      .transform((iso) => new Date(iso))
      .nullish(),
  })
  .strict()
  // Runs even when a field failed its own check (then holding the raw input): look only at values that passed.
  .superRefine((input, ctx) => {
    if (Array.isArray(input.scopes) && input.scopes.includes("admin") && input.space !== ANY_SPACE) {
      ctx.addIssue({ code: "custom", path: ["space"], message: 'admin keys act in any space: give them space "*"' });
    }
    if (input.expiresAt instanceof Date && input.expiresAt.getTime() <= Date.now()) {
      ctx.addIssue({ code: "custom", path: ["expiresAt"], message: "expiresAt must be in the future" });
    }
  });

export const keyInfoSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    prefix: z.string().meta({ description: "The key's first characters, to tell keys apart." }),
    space: z.string(),
    scopes: z.array(z.enum(KEY_SCOPES)),
    createdAt: timestamp,
    lastUsedAt: timestamp.nullable(),
    expiresAt: timestamp.nullable(),
  })
  .meta({ id: "ApiKey" });

export const createKeyOutput = z.object({
  key: z.string().meta({ description: "The secret: shown this once, stored only as a hash." }),
  info: keyInfoSchema,
});

export const listKeysOutput = z.object({ items: z.array(keyInfoSchema) });

export const revokeKeyInput = z
  .object({ key: z.string().min(1, "key must name a key (its name or id)").max(200) })
  .strict();

export type CreateKeyInput = z.output<typeof createKeyInput>;
export type KeyInfo = z.output<typeof keyInfoSchema>;
export type KeyInfoRow = z.input<typeof keyInfoSchema>;
