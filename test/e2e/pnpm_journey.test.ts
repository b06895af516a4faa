/**
 * The plugin author's journey in a pnpm project (pnpm 10, installed from the npm registry by the test): see
 * test/helpers/manager_journey.ts.
 */
import { describeManagerJourney } from '../helpers/manager_journey.js';
import { PNPM } from '../helpers/package_managers.js';

describeManagerJourney(PNPM);
