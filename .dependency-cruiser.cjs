/**
 * kpatch's layers (issue 15): src/cli.ts + src/commands/ -> the library ->
 * src/engine/. Run by `npm run lint:deps` (the first step of `npm test`) and
 * by test/architecture/layers.test.ts. Type-only imports count: they are
 * design dependencies too.

 */
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'No import cycles at all, type-only ones included.',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'library-not-to-cli',
      severity: 'error',
      comment: 'Only the CLI (src/cli.ts, src/commands/) may import the CLI; the library takes typed options, never flags.',
      from: { path: '^src/', pathNot: '^src/(cli\\.ts$|commands/)' },
      to: { path: '^src/(cli\\.ts$|commands/)' },
    },
    {
      name: 'manifest-not-to-pipeline',
      severity: 'error',
      comment: 'The artifact format (manifest, checksums, proofs) is shared by build and verify: it must not depend on the build.',
      from: { path: '^src/manifest/' },
      to: { path: '^src/pipeline/' },
    },
    {
      name: 'engine-stays-generic',
      severity: 'error',
      comment: 'The engine imports nothing of kpatch but itself, the error catalogue and io.',
      from: { path: '^src/engine/' },
      to: { path: '^(src|patches)/', pathNot: '^src/(engine/|errors\\.ts$|io\\.ts$)' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    combinedDependencies: false,
    exclude: { path: '^(dist|node_modules)/' },
  },
};
