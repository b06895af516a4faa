/**
 * A test file, run by `gymnos test --tracker <name>` (and `npm run test:tracker -- <name>` in the gymnos
 * repository): the conformance kit against the tracker named in GYMNOS_TEST_TRACKER, loaded by name from the
 * project the tests run in, as the project's own code would load it.
 */
import { load } from '../registry/load.js';
import { describeTrackerConformance } from '../testing/index.js';
import { TRACKER_VARIABLE } from './project_tests.js';
import { gymnosCommand } from '../util/package_manager.js';

const name = process.env[TRACKER_VARIABLE];
if (!name) {
  const command = gymnosCommand(process.cwd(), 'test --tracker <name>');
  throw new Error(`${TRACKER_VARIABLE} is not set: run this file through ${command}`);
}
describeTrackerConformance(name, () => load(name));
