/** Tag counts of a space, most used first. */
import { rethrowDatabaseError } from "../database-errors.ts";
import type { TagsInput, TagsOutput } from "./search-schemas.ts";
import type { ServiceContext } from "./service-context.ts";

export function tags(ctx: ServiceContext, { limit }: TagsInput): Promise<TagsOutput> {
  return ctx.budget.exclusive(async () => {
    ctx.budget.reserveRows(limit);
    const items = await ctx.prisma.$queryRaw<{ tag: string; count: number }[]>`
      SELECT t."tag", count(*)::int AS "count"
      FROM "VideoAnalysis" v CROSS JOIN LATERAL unnest(v."tags") AS t("tag")
      -- a NULL element (raw SQL only) is no tag, as everywhere else (storedTags)
      WHERE v."space" = ${ctx.space} AND t."tag" IS NOT NULL
      GROUP BY t."tag"
      ORDER BY "count" DESC, t."tag" COLLATE "C"
      LIMIT ${limit}::int`.catch(rethrowDatabaseError);
    ctx.budget.charge(
      items.length,
      items.map((i) => i.tag),
    );
    return { items };
  });
}
