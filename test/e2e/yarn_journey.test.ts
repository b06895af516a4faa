/**
 * The plugin author's journey in a Yarn 4 project with the node-modules linker (Yarn installed from the npm
 * registry by the test): see test/helpers/manager_journey.ts.
 */
import { describeManagerJourney } from '../helpers/manager_journey.js';
import { YARN } from '../helpers/package_managers.js';

describeManagerJourney(YARN);
