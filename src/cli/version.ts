import { readFileSync } from 'node:fs';
import path from 'node:path';
import { gymnosRoot } from '../util/package_root.js';

export const GYMNOS_VERSION: string = JSON.parse(readFileSync(path.join(gymnosRoot(), 'package.json'), 'utf8')).version;
