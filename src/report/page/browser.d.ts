/** uPlot, which the report inlines as a global before the page's own script. */
declare const uPlot: typeof import('uplot');
