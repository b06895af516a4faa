/** See chromium.mjs. */
export declare const CHROMIUM_FLAGS: string[];
