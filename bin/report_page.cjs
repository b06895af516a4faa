'use strict';
// The report page's script: src/report/page/main.ts bundled for browsers into one script. bin/build.mjs writes it
// to dist/vendor/report-page.js, which every report inlines; gymnos's own tests, which run the sources, bundle it
// with these options when they write a report (src/report/html.ts).
const path = require('node:path');

/** esbuild's options for the page script of the gymnos checkout at `root`. */
exports.pageBuildOptions = (root) => ({
  entryPoints: [path.join(root, 'src', 'report', 'page', 'main.ts')],
  bundle: true,
  format: 'iife',
  platform: 'browser',
  // Browsers of the last few years: a report is opened wherever it is mailed to.
  target: ['chrome100', 'firefox100', 'safari15'],
  minify: true,
  legalComments: 'none',
  logLevel: 'warning',
});
