/**
 * The plugin author's journey in a Yarn 4 project with Plug'n'Play, Yarn's default linker (no node_modules; a
 * script loads trackers with `yarn node`): see test/helpers/manager_journey.ts.
 */
import { describeManagerJourney } from '../helpers/manager_journey.js';
import { YARN } from '../helpers/package_managers.js';

describeManagerJourney(YARN, { plugAndPlay: true });
