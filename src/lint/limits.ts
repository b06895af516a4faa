/** The line-length limit gymnos holds every file to, shared by its ESLint config and its Prettier options. */

import { GYMNOS_PRINT_WIDTH } from '../util/prettier_options.js';

/**
 * The longest line allowed when the project's Prettier config sets no print width, in columns, for code, strings
 * and comments alike (URLs are exempt).
 */
export const MAX_LINE_LENGTH_COLUMNS = GYMNOS_PRINT_WIDTH;
/** How many columns a tab counts for in that limit. */
export const TAB_WIDTH_COLUMNS = 2;
