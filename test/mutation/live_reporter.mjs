// A Stryker reporter that writes each mutant that survived (or was not covered) the moment it is known, one line
// each, to reports/mutation/<area>.live.txt (test/mutation/run.mjs names the file): the survivors of a run of an
// hour can be read, and their tests written, while it goes on. Stryker's own reports come only at the end.
import { appendFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { declareClassPlugin, PluginKind } from '@stryker-mutator/api/plugin';

class LiveReporter {
  constructor() {
    this.file = process.env.GYMNOS_MUTATION_LIVE;
    if (this.file) writeFileSync(this.file, '');
  }

  onMutantTested(result) {
    if (!this.file || (result.status !== 'Survived' && result.status !== 'NoCoverage')) return;
    const { fileName, location, mutatorName, replacement, status } = result;
    const where = `${path.relative(process.cwd(), fileName)}:${location.start.line}:${location.start.column}`;
    appendFileSync(this.file, `${where} ${status} ${mutatorName} -> ${String(replacement).replace(/\s+/g, ' ')}\n`);
  }
}

export const strykerPlugins = [declareClassPlugin(PluginKind.Reporter, 'live', LiveReporter)];
