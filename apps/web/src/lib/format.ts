const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });

export const formatDate = (iso: string) => dateTime.format(new Date(iso));

export const memoryPath = (videoId: string) => `/memories/${encodeURIComponent(videoId)}`;
