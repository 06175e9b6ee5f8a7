/**
 * The flag catalogue (src/commands/flags.ts) and the Fix union
 * (src/rewrite/fix.ts): a shared flag reads the same in every command's
 * help, `--mode`'s choices and words come from the recipe, and a mode word
 * becomes a Fix in one place.
 */
import { describe, expect, it } from 'vitest';
import { run } from '../../src/cli.js';
import { modeFlag } from '../../src/commands/flags.js';
import { DEFAULT_RECIPE } from '../../src/recipes.js';
import { fixChoices, fixMode, parseFix } from '../../src/rewrite/fix.js';
import { testIo, tmpDir } from '../helpers/tagCache.js';

async function help(command: string): Promise<string> {
  const io = testIo(tmpDir());
  expect(await run([command, '--help'], io)).toBe(0);
  // yargs wraps to the terminal; join the wrapped lines so a help text compares whole.
  return io
    .out()
    .replace(/\n {10,}/g, ' ')
    .replace(/ +/g, ' ');
}

describe('flag catalogue', () => {
  it('build, matrix and config show one help text for --registry, --image and --platform', async () => {
    const texts = await Promise.all(['build', 'matrix', 'config'].map(help));
    for (const needle of [
      '--registry registry HOST/PATH that mirrors kube-cross',
      '--image build image reference (overrides the kube-cross image',
      '--platform comma-separated os/arch list, e.g. linux/amd64,linux/arm64',
    ]) {
      for (const t of texts) expect(t).toContain(needle);
    }
    // matrix says that it passes them on, and that its runner has no default.
    expect(texts[1]).toContain('Given to every kpatch build:');
    expect(texts[1]).toContain('[default: none, build picks]');
  });

  it("--mode's choices and words are the recipe's", () => {
    const build = modeFlag(DEFAULT_RECIPE, 'build');
    expect(build.choices).toEqual(['guard', 'remove', 'nokmem', 'auto']);
    expect(build.describe).toContain(`nokmem: ${DEFAULT_RECIPE.buildTag?.help}`);
    expect(modeFlag(DEFAULT_RECIPE, 'source').choices).toEqual([...DEFAULT_RECIPE.modes]);
    // A recipe with other words gets other help: the catalogue knows no mode by name.
    const other = modeFlag({ modes: ['a'], defaultMode: 'a', modeHelp: { a: 'does a' } }, 'build');
    expect(other).toMatchObject({ choices: ['a'], default: 'a', describe: 'a: does a' });
  });

  it('a mode word becomes a Fix once, and a scope that does not take it gets none', () => {
    expect(parseFix(DEFAULT_RECIPE, 'build', 'guard')).toEqual({ kind: 'edit', mode: 'guard' });
    expect(parseFix(DEFAULT_RECIPE, 'build', 'nokmem')).toEqual({ kind: 'tag', tag: 'nokmem' });
    expect(parseFix(DEFAULT_RECIPE, 'build', 'auto')).toEqual({ kind: 'auto' });
    expect(parseFix(DEFAULT_RECIPE, 'source', 'nokmem')).toBeUndefined();
    for (const m of fixChoices(DEFAULT_RECIPE, 'build')) expect(fixMode(parseFix(DEFAULT_RECIPE, 'build', m)!)).toBe(m);
  });
});
