// How Debian's Chromium is started here, for the report's browser test and the report benchmark: headless, as
// root (no sandbox), and without the background connections this machine's closed network refuses.
export const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
