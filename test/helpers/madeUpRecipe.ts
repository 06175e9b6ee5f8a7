/**
 * A made-up recipe for the engine's own tests: the engine never names the
 * kmem function, so its tests do not either. It looks for calls of
 * `StartWidgetCounter(...)` in `.go` files under a `widgets/` folder and, in
 * mode `drop`, replaces each call's statement with a marker comment. Mode
 * `overlap` plans two overlapping edits (a recipe bug the engine must refuse),
 * mode `break` plans an edit whose result does not parse.
 */
import type { Recipe, ScanReport, Site } from '../../src/engine/recipe.js';
import { findMatches } from '../../src/engine/query.js';
import { positionOf, type GoFile } from '../../src/engine/sourceFile.js';
import { enclosingFunction, enclosingStatement, functionName } from '../../src/engine/goSyntax.js';
import type { TextEdit } from '../../src/engine/edits.js';

const CALL = '(call_expression function: (identifier) @fn (#eq? @fn "StartWidgetCounter")) @call';

/** The made-up recipe. */
export const WIDGET_RECIPE: Recipe = {
  id: 'widget-counter',
  title: 'stop widget counters',
  modes: ['drop', 'overlap', 'break'],
  defaultMode: 'drop',
  queries: { call: CALL },
  isTarget: (rel) => rel.endsWith('.go') && rel.split('/').includes('widgets'),
  copyOf: () => '',
  isTargetFolder: (dirRel) => dirRel.split('/').includes('widgets'),
  scan(files: GoFile[]): ScanReport {
    const sites: Site[] = [];
    for (const f of files) {
      for (const m of findMatches(f.tree.rootNode, CALL)) {
        const fn = enclosingFunction(m.call);
        sites.push({ file: f.path, ...positionOf(f, m.call), function: fn ? functionName(fn) : '', status: 'unguarded' });
      }
    }
    return {
      recipe: 'widget-counter',
      verdict: sites.length ? 'affected' : 'not-affected',
      files: files.map((f) => f.path),
      sites,
      markers: [],
      facts: {},
    };
  },
  plan(files: GoFile[], _report: ScanReport, mode: string): Map<string, TextEdit[]> {
    const out = new Map<string, TextEdit[]>();
    for (const f of files) {
      const edits: TextEdit[] = [];
      for (const m of findMatches(f.tree.rootNode, CALL)) {
        const stmt = enclosingStatement(m.call) ?? m.call;
        if (mode === 'drop') edits.push({ start: stmt.startIndex, end: stmt.endIndex, text: '// widget counter dropped' });
        if (mode === 'overlap')
          edits.push(
            { start: stmt.startIndex, end: stmt.endIndex, text: '' },
            { start: m.call.startIndex, end: m.call.endIndex, text: 'x' },
          );
        if (mode === 'break') edits.push({ start: stmt.startIndex, end: stmt.endIndex, text: 'if {' });
      }
      if (edits.length) out.set(f.path, edits);
    }
    return out;
  },
  describe: (report, mode) => ({ subject: `widget-counter: ${mode}`, body: `${report.sites.length} site(s)` }),
};
