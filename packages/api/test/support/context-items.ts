import type { ContextItem, Shown } from "../../src/video-analysis/context-text.ts";

/** A memory with what it shows at hand, as assembleContext takes it. */
export const contextItem = ({
  videoId,
  score,
  ...shown
}: Shown & { videoId: string; score: number | null }): ContextItem => ({ videoId, score, shown: () => shown });
