import type { TRPCRouterRecord } from "@trpc/server";
import type { PrismaClient } from "@memory-mirror/db";
import { notFound } from "../errors.ts";
import {
  createInput,
  encodeCursor,
  listInput,
  listOutput,
  updateInput,
  videoAnalysisSchema,
  videoIdInput,
} from "../schemas/video-analysis.ts";
import { publicProcedure } from "../trpc.ts";

/** The columns an analysis is made of on the wire, declared once for every query. */
const select = { id: true, videoId: true, description: true, createdAt: true, updatedAt: true } as const;

export const videoAnalysisRouter = {
  create: publicProcedure
    .meta({ summary: "Store the analysis of a video", errors: ["CONFLICT"] })
    .input(createInput)
    .output(videoAnalysisSchema)
    .mutation(({ ctx, input }) => ctx.prisma.videoAnalysis.create({ data: input, select })),

  byVideoId: publicProcedure
    .meta({ summary: "Get the analysis of a video", errors: ["NOT_FOUND"] })
    .input(videoIdInput)
    .output(videoAnalysisSchema)
    .query(async ({ ctx, input }) => {
      const row = await ctx.prisma.videoAnalysis.findUnique({ where: { videoId: input.videoId }, select });
      if (!row) throw notFound(input);
      return row;
    }),

  update: publicProcedure
    .meta({ summary: "Replace the description of a video's analysis; updatedAt moves forward", errors: ["NOT_FOUND"] })
    .input(updateInput)
    .output(videoAnalysisSchema)
    .mutation(async ({ ctx, input }) => {
      const row = await updateDescription(ctx.prisma, input.videoId, input.description);
      if (!row) throw notFound(input);
      return row;
    }),

  delete: publicProcedure
    .meta({ summary: "Delete the analysis of a video and return it", errors: ["NOT_FOUND"] })
    .input(videoIdInput)
    .output(videoAnalysisSchema)
    // A missing row raises P2025, which the error middleware turns into NOT_FOUND.
    .mutation(({ ctx, input }) => ctx.prisma.videoAnalysis.delete({ where: { videoId: input.videoId }, select })),

  list: publicProcedure
    .meta({ summary: "List analyses, newest first, a page at a time" })
    .input(listInput)
    .output(listOutput)
    .query(async ({ ctx, input: { limit, cursor } }) => {
      const rows = await ctx.prisma.videoAnalysis.findMany({
        // Keyset pagination, newest first; id breaks ties between rows created in the same millisecond.
        where: cursor
          ? { OR: [{ createdAt: { lt: cursor.createdAt } }, { createdAt: cursor.createdAt, id: { lt: cursor.id } }] }
          : undefined,
        orderBy: [{ createdAt: "desc" }, { id: "desc" }],
        take: limit + 1,
        select,
      });
      const items = rows.slice(0, limit);
      const last = items.at(-1);
      return { items, nextCursor: rows.length > limit && last ? encodeCursor(last) : null };
    }),
} satisfies TRPCRouterRecord;

type Row = { [K in keyof typeof select]: K extends "createdAt" | "updatedAt" ? Date : string };

/**
 * Sets a new description and moves updatedAt strictly forward, even when the update lands in the same
 * millisecond as the previous write (Prisma's @updatedAt alone would leave it unchanged then).
 */
async function updateDescription(prisma: PrismaClient, videoId: string, description: string): Promise<Row | undefined> {
  const rows = await prisma.$queryRaw<Row[]>`
    UPDATE "VideoAnalysis"
    SET "description" = ${description},
        "updatedAt" = GREATEST(${new Date()}::timestamp(3), "updatedAt" + interval '1 millisecond')
    WHERE "videoId" = ${videoId}
    RETURNING "id", "videoId", "description", "createdAt", "updatedAt"`;
  return rows[0];
}
