/**
 * `gymnos completion <shell>` prints the script that makes bash, zsh or fish complete gymnos command lines
 * (completion/gymnos.<shell> in the package); on each Tab, that script runs `gymnos __complete <words>`, answered
 * here from complete_words.ts: a first line `:words`, `:files` or `:dirs`, then for `:words` one candidate a
 * line, `value<TAB>description` (the scripts' comments say how each shell reads it).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { gymnosRoot } from '../util/package_root.js';
import { completeWords } from './complete_words.js';
import { EXIT } from './exit_codes.js';
import { writeStdout } from './stdio.js';

export async function runCompletion(shell: string): Promise<number> {
  writeStdout(readFileSync(path.join(gymnosRoot(), 'completion', `gymnos.${shell}`), 'utf8'));
  return EXIT.ok;
}

/** `words`: the words after `gymnos __complete`, the last being the one typed. */
export async function runComplete(words: readonly string[]): Promise<number> {
  const completion = await completeWords(words.length === 0 ? [''] : words);
  const lines = [`:${completion.kind}`];
  if (completion.kind === 'words') {
    for (const { value, description } of completion.candidates) {
      // A tab or newline in a name (a metric logged as "a\tb") would break the line format: such a name is left out.
      if (/[\t\n]/.test(value)) continue;
      lines.push(description === undefined ? value : `${value}\t${description.replace(/[\t\n]+/g, ' ')}`);
    }
  }
  writeStdout(`${lines.join('\n')}\n`);
  return EXIT.ok;
}
