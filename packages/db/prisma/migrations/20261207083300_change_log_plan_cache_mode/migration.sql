-- By hand: nothing in schema.prisma changes. The service's sessions run with plan_cache_mode = force_custom_plan (the
-- searches' named statements: session-settings.ts), which also had PL/pgSQL plan this trigger's statements again on
-- every write. They read the statement's transition table and plan alike whatever their values, so the function keeps
-- PostgreSQL's default, where a cached plan serves after five runs. The SET costs each call a little; measured, a
-- create's database CPU was lower with it (docs/performance.md, "Create's statement and the change-log trigger").
ALTER FUNCTION "mm_record_changes"() SET plan_cache_mode = auto;
