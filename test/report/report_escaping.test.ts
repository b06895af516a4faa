/**
 * What a run or a user names reaches the report as text only: run ids, metric, param and tag names and values,
 * figure names and the title are never in the file as markup, the data block cannot be closed from inside, the
 * page's script builds no HTML from strings, a Content-Security-Policy allows only the page's own scripts and
 * styles, and no path of the machine is in the file. The browser side (that no script runs and the markup is
 * intact) is test/e2e/report_browser.test.ts.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { JsonlTracker } from '../../src/trackers/jsonl.js';
import { gymnosInProcess } from '../helpers/in_process.js';
import { HOSTILE, logHostileRuns } from '../helpers/hostile_runs.js';
import { embeddedData } from '../helpers/report_data.js';

let root: string;
let html: string;

before(async () => {
  root = mkdtempSync(path.join(os.tmpdir(), 'gymnos-report-escaping-'));
  await logHostileRuns(path.join(root, 'logs'));
  const logdir = path.join(root, 'logs'); // absolute: its path must not reach the file
  const result = await gymnosInProcess(['report', logdir, '-o', 'hostile.html', '--title', HOSTILE.title], {
    cwd: root,
  });
  assert.equal(result.status, 0, result.stderr);
  html = readFileSync(path.join(root, 'hostile.html'), 'utf8');
});
after(() => rmSync(root, { recursive: true, force: true }));

/** The scripts and styles of the page, as the policy hashes them. */
function elements(tag: 'script' | 'style'): string[] {
  return [...html.matchAll(new RegExp(`<${tag}>([\\s\\S]*?)</${tag}>`, 'g'))].map((match) => match[1]!);
}

function hash(text: string): string {
  return `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;
}

describe('the report escapes what users name', () => {
  it('has no name, value or title anywhere in the file as markup', () => {
    // In the data block as JSON text, with no < or > (the next test); nowhere else as written.
    const block = /<script type="application\/json" id="gymnos-data">[\s\S]*?<\/script>/;
    const outside = html.replace(block, '');
    assert.notEqual(outside, html, 'the data block');
    for (const text of HOSTILE.markup) {
      assert.ok(!outside.includes(text), `${JSON.stringify(text)} is in the file as written`);
      if (text.includes('<'))
        assert.ok(!html.includes(text), `${JSON.stringify(text)} is in the data block as written`);
    }
    // Three script elements: the data block, uPlot and the page's script; one title; no other.
    assert.equal(html.match(/<script\b/g)!.length, 3);
    assert.equal(html.match(/<\/script>/g)!.length, 3);
    assert.equal(html.match(/<title>/g)!.length, 1);
  });

  it('carries every name, value and title exactly in its data block', () => {
    const data = embeddedData(html);
    assert.equal(data.title, HOSTILE.title);
    assert.deepEqual(data.runs.map((run) => run.id).sort(), [...HOSTILE.runIds].sort());
    assert.deepEqual(data.metrics, [...HOSTILE.metrics].sort());
    const run = data.runs.find((candidate) => candidate.id === HOSTILE.runIds[0])!;
    assert.deepEqual(run.params, HOSTILE.params);
    assert.deepEqual(run.tags, HOSTILE.tags);
    assert.deepEqual(
      run.media.map((media) => media.name),
      [HOSTILE.figure],
    );
    assert.equal(
      Object.keys(data.series).sort().join('\n'),
      [...HOSTILE.metrics].sort().join('\n'),
      'a metric named __proto__ is a metric',
    );
  });

  it('holds no path of the machine, with an absolute logdir', () => {
    assert.ok(!html.includes(root), 'the temporary directory is not in the file');
    assert.ok(!html.includes(os.homedir() + '/'), 'nor the home directory');
    assert.deepEqual(embeddedData(html).logdirs, ['logs']);
    const untitled = gymnosInProcess(['report', path.join(root, 'logs'), '-o', 'untitled.html'], { cwd: root });
    return untitled.then((result) => {
      assert.equal(result.status, 0, result.stderr);
      const page = readFileSync(path.join(root, 'untitled.html'), 'utf8');
      assert.ok(!page.includes(root));
      assert.match(page, /<title>gymnos report: logs<\/title>/);
    });
  });

  it('allows only its own scripts and styles, pictures as data, and no request', () => {
    const policy = /<meta http-equiv="Content-Security-Policy" content="([^"]+)">/.exec(html)?.[1];
    assert.ok(policy, 'a policy');
    const directives = new Map(policy.split('; ').map((directive) => [directive.split(' ')[0]!, directive]));
    assert.equal(directives.get('default-src'), "default-src 'none'");
    assert.equal(directives.get('img-src'), 'img-src data:');
    // No <base> may redirect the page's links, no form may post anywhere.
    assert.equal(directives.get('base-uri'), "base-uri 'none'");
    assert.equal(directives.get('form-action'), "form-action 'none'");
    const scripts = elements('script');
    assert.equal(directives.get('script-src'), `script-src ${scripts.map(hash).join(' ')}`);
    assert.equal(directives.get('style-src'), `style-src ${elements('style').map(hash).join(' ')}`);
    assert.doesNotMatch(policy, /unsafe-inline|unsafe-eval|\*|https?:/);
    assert.ok(html.indexOf('Content-Security-Policy') < html.indexOf('<script'), 'set before any script');
  });

  it("builds no HTML from strings in the page's script", () => {
    const page = elements('script')[1]!;
    assert.ok(page.includes('gymnosReport'), "the page's script");
    for (const sink of ['innerHTML', 'outerHTML', 'insertAdjacentHTML', 'document.write', 'DOMParser', 'srcdoc']) {
      assert.ok(!page.includes(sink), `the page's script uses ${sink}`);
    }
  });
});

describe('the data block', () => {
  it('cannot be closed or turned into a comment by a name', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'gymnos-report-block-'));
    try {
      const tracker = new JsonlTracker();
      await tracker.start('r', path.join(dir, 'logs'));
      for (const name of ['</script >', '<!--', '</SCRIPT>', 'a\u2028b']) tracker.logMetric(name, 1, 0);
      await tracker.end();
      const result = await gymnosInProcess(['report', 'logs', '-o', 'r.html'], { cwd: dir });
      assert.equal(result.status, 0, result.stderr);
      const page = readFileSync(path.join(dir, 'r.html'), 'utf8');
      const start = page.indexOf('id="gymnos-data">') + 'id="gymnos-data">'.length;
      const block = page.slice(start, page.indexOf('</script>', start));
      assert.doesNotMatch(block, /[<>\u2028]/);
      assert.deepEqual(embeddedData(page).metrics, ['<!--', '</SCRIPT>', '</script >', 'a\u2028b']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
