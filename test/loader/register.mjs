// The suite's TypeScript loader: `node --import ./test/loader/register.mjs`. See hooks.mjs for why not tsx.
import { register } from 'node:module';

register('./hooks.mjs', import.meta.url);
