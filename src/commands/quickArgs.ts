/**
 * Parsing the everyday command line without loading yargs.
 *
 * `kpatch doctor --format npd` runs on every node every minute, and loading
 * and running yargs was about a third of its wall time and a fifth of its
 * memory above bare `node` (scripts/bench-startup.mjs, docs/benchmarks.md).
 * Most command lines are plain: long flags the command declares, each once,
 * with a value that needs no interpretation. For those this module produces
 * exactly the arguments object yargs would (camelCase twins, defaults, `_`,
 * positionals), reading the declarations from the command's own yargs
 * builder, so no flag is declared twice. Anything else (help, a short flag, a
 * repeated or unknown flag, a value outside its choices, `--`, an alias, a
 * declaration it does not know) returns undefined and yargs parses the line,
 * with all its errors and messages. test/commands/quickArgs.test.ts checks, for every
 * command, that both give the same result on lines of every shape.
 */
import type { Options } from 'yargs';
import type { Args, Command } from './command.js';

/** Declaration keys whose meaning this parser implements (or that only shape help); any other makes it step aside. */
const UNDERSTOOD = new Set(['type', 'default', 'describe', 'defaultDescription', 'hidden', 'choices', 'requiresArg', 'demandOption']);

/** Stands for "yargs must parse this line". */
class Unsupported extends Error {}

/** What a command's builder declares: options by name, positionals in order. */
interface Declared {
  options: Map<string, Options>;
  positionals: string[];
}

/**
 * Runs `cmd.builder` against a recorder that notes `.option()` and
 * `.positional()` and ignores help-only calls; any other call means the
 * builder uses yargs features this parser does not implement.
 */
function declarations(cmd: Command): Declared {
  const options = new Map<string, Options>();
  const positionals = [...cmd.command.matchAll(/<([\w-]+)>/g)].map((m) => m[1]);
  if (/\[/.test(cmd.command)) throw new Unsupported('optional positional');
  const recorder: Record<string, unknown> = {
    option(name: string, opts: Options) {
      options.set(name, opts);
      return recorder;
    },
    positional(name: string, opts: Options) {
      if (!positionals.includes(name)) throw new Unsupported(`positional ${name}`);
      options.set(name, opts);
      return recorder;
    },
    // Help text only.
    group: () => recorder,
    example: () => recorder,
    epilogue: () => recorder,
    usage: () => recorder,
  };
  const proxy = new Proxy(recorder, {
    get(target, key) {
      if (typeof key === 'string' && !(key in target)) throw new Unsupported(`builder calls .${key}()`);
      return target[key as string];
    },
  });
  cmd.builder(proxy as never);
  // yargs reads an undeclared positional such as `123` as a number.
  for (const p of positionals) if (options.get(p)?.type !== 'string') throw new Unsupported(`positional ${p} is not a declared string`);
  for (const [name, o] of options) {
    for (const k of Object.keys(o)) if (!UNDERSTOOD.has(k)) throw new Unsupported(`--${name} declares ${k}`);
    if (!['string', 'boolean', 'number', undefined].includes(o.type)) throw new Unsupported(`--${name} is ${o.type}`);
  }
  return { options, positionals };
}

const camel = (name: string) => name.replace(/-([a-z])/g, (_m, c: string) => c.toUpperCase());

/**
 * The arguments yargs would give `cmd` for `rest` (the words after the
 * command's name), or undefined when the line is not plain enough to be sure;
 * then yargs must parse it.
 */
export function quickArgs(cmd: Command, name: string, rest: readonly string[]): Args | undefined {
  try {
    return parse(declarations(cmd), name, rest);
  } catch (e) {
    if (e instanceof Unsupported) return undefined;
    throw e;
  }
}

function parse(decl: Declared, name: string, rest: readonly string[]): Args {
  const args: Args = { _: [name] };
  const set = (key: string, value: unknown) => {
    args[key] = value;
    if (camel(key) !== key) args[camel(key)] = value;
  };
  const seen = new Set<string>();
  const positionals: string[] = [];
  for (let i = 0; i < rest.length; i++) {
    const token = rest[i];
    if (!token.startsWith('--') || token === '--') {
      if (token.startsWith('-')) throw new Unsupported('short flag or --');
      positionals.push(token);
      continue;
    }
    const eq = token.indexOf('=');
    let key = eq === -1 ? token.slice(2) : token.slice(2, eq);
    const negated = eq === -1 && key.startsWith('no-') && !decl.options.has(key);
    if (negated) key = key.slice(3);
    const o = decl.options.get(key);
    if (!o || decl.positionals.includes(key) || seen.has(key)) throw new Unsupported(`--${key}`);
    seen.add(key);
    if (o.type === 'boolean') {
      if (eq !== -1) throw new Unsupported('--flag=value on a boolean');
      set(key, !negated);
      continue;
    }
    if (negated) throw new Unsupported('--no- on a value flag');
    const value = eq === -1 ? rest[++i] : token.slice(eq + 1);
    // A missing or flag-like value, or an empty one, is for yargs to judge.
    if (value === undefined || value === '' || value.startsWith('-')) throw new Unsupported(`--${key} value`);
    if (o.type === 'number') {
      if (!/^\d+(\.\d+)?$/.test(value)) throw new Unsupported(`--${key} number`);
      set(key, Number(value));
      continue;
    }
    if (o.type !== 'string') throw new Unsupported(`--${key} untyped`);
    if (o.choices && !(o.choices as unknown[]).includes(value)) throw new Unsupported(`--${key} choice`);
    set(key, value);
  }
  if (positionals.length !== decl.positionals.length) throw new Unsupported('positionals');
  decl.positionals.forEach((p, i) => set(p, positionals[i]));
  for (const [key, o] of decl.options) {
    if (seen.has(key) || decl.positionals.includes(key)) continue;
    // A required flag left out is yargs' error to report.
    if (o.demandOption) throw new Unsupported(`--${key} missing`);
    if (o.default !== undefined) set(key, o.default);
  }
  args.$0 = 'kpatch';
  return args;
}
