/** The fields of a memory in the REST API's answers, in sorted order: the original service's contract, written out once. */
export const REST_ANALYSIS_KEYS = [
  "created_at",
  "description",
  "embedding",
  "id",
  "metadata",
  "recorded_at",
  "tags",
  "updated_at",
  "version",
  "video_id",
];
