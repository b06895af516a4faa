/** The line-length limit gymnos holds every file to, shared by its ESLint config and its Prettier options. */

/** The longest line allowed, in columns, for code, strings and comments alike (URLs are exempt). */
export const MAX_LINE_LENGTH_COLUMNS = 120;
/** How many columns a tab counts for in that limit. */
export const TAB_WIDTH_COLUMNS = 2;
