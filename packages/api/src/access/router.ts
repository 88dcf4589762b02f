import type { TRPCRouterRecord } from "@trpc/server";
import { procedure } from "../trpc.ts";
import { createKeyInput, createKeyOutput, keyInfoSchema, listKeysOutput, revokeKeyInput } from "./schemas.ts";
import { keyService as service } from "./service.ts";

/** Key management: admin keys only. */
export const keysRouter = {
  create: procedure
    .meta({
      summary: "Create an API key; the answer holds the secret, shown this once",
      scopes: ["admin"],
      keyOnly: true,
      errors: ["CONFLICT"],
    })
    .input(createKeyInput)
    .output(createKeyOutput)
    .mutation(({ ctx, input }) => service.create(ctx, input)),

  list: procedure
    .meta({ summary: "List API keys (never their secrets)", scopes: ["admin"], keyOnly: true })
    .output(listKeysOutput)
    .query(({ ctx }) => service.list(ctx)),

  revoke: procedure
    .meta({
      summary: "Revoke an API key by name or id; it stops working within seconds",
      scopes: ["admin"],
      keyOnly: true,
      errors: ["NOT_FOUND"],
    })
    .input(revokeKeyInput)
    .output(keyInfoSchema)
    .mutation(({ ctx, input }) => service.revoke(ctx, input)),
} satisfies TRPCRouterRecord;
