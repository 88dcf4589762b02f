/** Tags as a person types them ("cooking, family"): the server trims, lower-cases and sorts them the same way. */
export function parseTags(text: string): string[] {
  const tags = text
    .split(/[,\n]/)
    .map((tag) => tag.trim().toLowerCase())
    .filter(Boolean);
  return [...new Set(tags)].sort();
}
