import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setRegistryEntry } from '../../src/registry/edit.js';

const target = 'trackers/my_tracker.js#MyTracker';

test('appends after the existing entries, keeping their order, indentation and trailing newline', () => {
  const text = '{\n    "zeta": "trackers/zeta.js#ZetaTracker",\n    "alpha": "trackers/alpha.js#AlphaTracker"\n}\n';
  assert.equal(
    setRegistryEntry(text, 'my_tracker', target),
    '{\n    "zeta": "trackers/zeta.js#ZetaTracker",\n    "alpha": "trackers/alpha.js#AlphaTracker",\n' +
      `    "my_tracker": "${target}"\n}\n`,
  );
});

test('keeps a missing trailing newline missing, and tabs and CRLF as they are', () => {
  assert.equal(setRegistryEntry('{\n  "a": "x.js#A"\n}', 'b', 'y.js#B'), '{\n  "a": "x.js#A",\n  "b": "y.js#B"\n}');
  assert.equal(
    setRegistryEntry('{\r\n\t"a": "x.js#A"\r\n}\r\n', 'b', 'y.js#B'),
    '{\r\n\t"a": "x.js#A",\r\n\t"b": "y.js#B"\r\n}\r\n',
  );
});

test('is a no-op (the same string) when the entry is already there', () => {
  const text = `{\n  "my_tracker": "${target}"\n}\n`;
  assert.equal(setRegistryEntry(text, 'my_tracker', target), text);
});

test('an empty or missing registry becomes a formatted object', () => {
  assert.equal(setRegistryEntry('', 'my_tracker', target), `{\n  "my_tracker": "${target}"\n}\n`);
  assert.equal(setRegistryEntry('{}\n', 'my_tracker', target), `{\n  "my_tracker": "${target}"\n}\n`);
});
