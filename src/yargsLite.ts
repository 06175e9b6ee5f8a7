/**
 * yargs without its help renderer at start-up. yargs' own entry point loads
 * cliui and string-width (with their Unicode width and emoji tables) for every
 * run, which is most of yargs' start-up cost (scripts/bench-startup.mjs,
 * docs/fleet-matrix.md "Start-up cost"), yet only help output uses them. This
 * builds yargs from its factory with the same platform shim, except that
 * those two are loaded only when `withHelp` says help may be rendered.
 * Anything unexpected in yargs' layout falls back to its normal entry point.
 */
import { notStrictEqual, strictEqual } from 'node:assert';
import { readFileSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { inspect } from 'node:util';
import { pathToFileURL } from 'node:url';
import type { Argv } from 'yargs';

const require = createRequire(import.meta.url);

/** The yargs function (`yargs(argv)`), as the `yargs` package's default export. */
export type YargsFn = (argv: string[]) => Argv;

type Column = string | { text: string };

/** The part of cliui's interface yargs uses, without column layout. */
function plainUi(): { div(...cols: Column[]): void; span(...cols: Column[]): void; toString(): string } {
  const rows: string[] = [];
  const line = (cols: Column[]) => rows.push(cols.map((c) => (typeof c === 'string' ? c : c.text)).join(' '));
  return { div: (...cols) => line(cols), span: (...cols) => line(cols), toString: () => rows.join('\n') };
}

/**
 * Which yargs the last {@link loadYargs} returned: `lite` (no help renderer)
 * or `full`. A test checks the installed yargs gives `lite`, so an upgrade
 * that moves yargs' files fails CI instead of silently losing the saving.
 */
export let loadedFlavour: 'lite' | 'full' | undefined;

/**
 * Returns yargs. `withHelp`: help or usage text may be rendered in this run
 * (`--help`, or no command given), so the renderer is loaded up front.
 */
export async function loadYargs(withHelp: boolean): Promise<YargsFn> {
  if (withHelp) {
    loadedFlavour = 'full';
    return (await import('yargs')).default as unknown as YargsFn;
  }
  try {
    const root = path.dirname(require.resolve('yargs/package.json'));
    const load = (rel: string) => import(pathToFileURL(path.join(root, rel)).href);
    // yargs' own dependencies, by name: found where npm installs them; anywhere else, the fallback below.
    const dep = (name: string) => import(name);
    const [factory, argvBin, parser, y18n, escalade, callerFile] = await Promise.all([
      load('build/lib/yargs-factory.js'),
      load('build/lib/utils/process-argv.js'),
      dep('yargs-parser'),
      dep('y18n'),
      dep('escalade/sync'),
      dep('get-caller-file'),
    ]);
    const getCallerFile = callerFile.default as (n: number) => string;
    const shim = {
      assert: { notStrictEqual, strictEqual },
      // Only help text uses these. yargs also renders (and caches) a command's help after
      // parsing it, text kpatch never shows since it runs the command itself; for that a
      // plain, unaligned renderer does (as yargs' own browser build has).
      cliui: plainUi,
      stringWidth: (s: string) => [...s].length,
      findUp: escalade.default,
      getEnv: (key: string) => process.env[key],
      inspect,
      getProcessArgvBin: argvBin.getProcessArgvBin,
      mainFilename: process.cwd(),
      Parser: parser.default,
      path: {
        basename: path.basename,
        dirname: path.dirname,
        extname: path.extname,
        relative: path.relative,
        resolve: path.resolve,
        join: path.join,
      },
      process: {
        argv: () => process.argv,
        cwd: process.cwd,
        emitWarning: (warning: string, type: string) => process.emitWarning(warning, type),
        execPath: () => process.execPath,
        exit: (code: number) => process.exit(code),
        nextTick: process.nextTick,
        stdColumns: typeof process.stdout.columns !== 'undefined' ? process.stdout.columns : null,
      },
      readFileSync,
      readdirSync,
      require,
      getCallerFile: () => {
        const f = getCallerFile(3);
        return f.startsWith('file://') ? new URL(f).pathname : f;
      },
      y18n: y18n.default({ directory: path.join(root, 'locales'), updateFiles: false }),
    };
    const lite = factory.YargsFactory(shim) as YargsFn;
    loadedFlavour = 'lite';
    return lite;
  } catch {
    loadedFlavour = 'full';
    return (await import('yargs')).default as unknown as YargsFn;
  }
}
