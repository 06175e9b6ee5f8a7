/**
 * The kmem-accounting recipe's words, apart from its code (recipe.ts spreads
 * them): `--mode`'s choices and help, and what doctor looks for in a binary.
 * Imports only the rules (plain data), so a command's flags cost nothing.
 */
import type { RecipeFacts } from '../../src/engine/recipe.js';
import { MARKERS, NOKMEM_RELEASED_PROOF, NOKMEM_TAG, TARGET_FUNCTION, type EditMode } from './rules.js';

/** What the recipe says about itself. */
export const kmemAccountingFacts = {
  id: 'kmem-accounting',
  title: 'stop runc switching kernel-memory accounting on for every memory cgroup (kubernetes/kubernetes#61937)',
  modes: Object.keys(MARKERS) as EditMode[],
  defaultMode: 'guard',
  modeHelp: { guard: 'restore the KernelMemory != 0 test', remove: 'delete the call' },
  buildTag: {
    name: NOKMEM_TAG,
    help: `no source change, build with -tags=${NOKMEM_TAG} (Kubernetes 1.14 to 1.21.1)`,
    knownProofStrings: [NOKMEM_RELEASED_PROOF],
  },
  targetSymbol: TARGET_FUNCTION,
} satisfies RecipeFacts;
