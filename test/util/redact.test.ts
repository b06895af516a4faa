/**
 * Credentials never reach an output: the one redaction helper (util/redact.ts), and every path that quotes a
 * tracking URI given with a user, a password and a token (a typo in its port or scheme, a GYMNOS_TRACKERS spec,
 * a spec given to TrackerList, `gymnos sync`'s flag and variable, the mlflow tracker's warnings).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { TrackerList } from '../../src/index.js';
import { trackerSpecsFromEnv } from '../../src/registry/env_specs.js';
import { MlflowTracker } from '../../src/trackers/mlflow.js';
import { redactCredentials } from '../../src/util/redact.js';
import { MlflowTestServer } from '../fixtures/mlflow_server.js';
import { gymnosInProcess } from '../helpers/in_process.js';
import { captureWarnings, warningsDelivered } from '../helpers/warnings.js';

const SECRETS = ['alice', 's3cret', 't0ken'];
const root = mkdtempSync(path.join(os.tmpdir(), 'gymnos-redact-'));
after(() => rmSync(root, { recursive: true, force: true }));

function assertClean(text: string): void {
  for (const secret of SECRETS) assert.ok(!text.includes(secret), `${secret} in: ${text}`);
}

/** The message of what `make` throws (it must throw). */
function thrown(make: () => unknown): string {
  try {
    make();
  } catch (error) {
    return `${(error as Error).message} ${JSON.stringify((error as { details?: unknown }).details ?? {})}`;
  }
  assert.fail('expected an error');
}

describe('redactCredentials', () => {
  test('removes the user and password of URLs, parsable or not, and masks secret query values', () => {
    assert.equal(
      redactCredentials('http://alice:s3cret@host:5000/?token=t0ken&x=1'),
      'http://host:5000/?token=***&x=1',
    );
    assert.equal(redactCredentials('see "http://alice:s3cret@host:99999/x" there'), 'see "http://host:99999/x" there');
    assert.equal(redactCredentials('ftp://alice@host'), 'ftp://host');
    assert.equal(redactCredentials('alice:s3cret@host:5000'), 'host:5000');
    assert.equal(
      redactCredentials('https://h/p?access_token=a&api_key=b&sig=c&page=2'),
      'https://h/p?access_token=***&api_key=***&sig=***&page=2',
    );
    assert.equal(
      redactCredentials('git@github.com:org/repo and a:b'),
      'git@github.com:org/repo and a:b',
      'nothing else changes',
    );
  });
});

describe('every path that quotes a tracking URI', () => {
  const uris = [
    'ftp://alice:s3cret@mlflow.example.com/?token=t0ken', // a wrong scheme
    'http://alice:s3cret@mlflow.example.com:99999/?token=t0ken', // a bad port
    'alice:s3cret@mlflow.example.com:5000/?token=t0ken', // no scheme at all
  ];

  test('the mlflow tracker and deliverSpool, given it or through MLFLOW_TRACKING_URI', async () => {
    for (const uri of uris) {
      assertClean(thrown(() => new MlflowTracker({ trackingUri: uri })));
      const saved = process.env.MLFLOW_TRACKING_URI;
      process.env.MLFLOW_TRACKING_URI = uri;
      try {
        assertClean(thrown(() => new MlflowTracker()));
      } finally {
        if (saved === undefined) delete process.env.MLFLOW_TRACKING_URI;
        else process.env.MLFLOW_TRACKING_URI = saved;
      }
      await assert.rejects(MlflowTracker.deliverSpool(root, { trackingUri: uri }), (error: Error) => {
        assertClean(error.message);
        return true;
      });
    }
  });

  test('GYMNOS_TRACKERS and TrackerList.fromSpecs', async () => {
    const spec = { typ: 'mlflow', trackingUri: uris[0] };
    assertClean(thrown(() => trackerSpecsFromEnv({ GYMNOS_TRACKERS: JSON.stringify([spec]) })));
    assertClean(thrown(() => trackerSpecsFromEnv({ GYMNOS_TRACKERS: `[{"type":"mlflow","trackingUri":"${uris[1]}"` })));
    await assert.rejects(TrackerList.fromSpecs([spec as never]), (error: Error) => {
      assertClean(error.message);
      return true;
    });
  });

  test('gymnos sync, from its flag or MLFLOW_TRACKING_URI, in its line and its --json document', async () => {
    for (const uri of uris) {
      for (const [args, env] of [
        [['sync', root, '--tracking-uri', uri, '--json'], {}],
        [['sync', root], { MLFLOW_TRACKING_URI: uri }],
      ] as const) {
        const result = await gymnosInProcess([...args], { cwd: root, env });
        assert.equal(result.status, 2, result.stderr);
        assertClean(result.stdout + result.stderr);
      }
    }
  });

  test("the mlflow tracker's warnings and end report", async () => {
    const server = await MlflowTestServer.start();
    await server.stop();
    const capture = captureWarnings();
    try {
      const uri = `http://alice:s3cret@127.0.0.1:${server.port}/?token=t0ken`;
      const tracker = new MlflowTracker({ trackingUri: uri, startTimeoutMs: 50, endTimeoutMs: 50, retryBaseMs: 10 });
      await tracker.start('secret', root);
      tracker.logMetric('loss', 1, 0);
      await tracker.end();
      await warningsDelivered();
      assert.ok(capture.warnings.length > 0);
      assertClean(capture.warnings.map((warning) => warning.message).join('\n'));
      assertClean(JSON.stringify(tracker.endReport));
    } finally {
      capture.stop();
    }
  });
});
