import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

/**
 * A config that forbids the files matched by `files` to import from the listed top-level folders of source/ (the
 * import's path names the folder: '../core/x.ts', '../../catalog/y.ts'); `paths` adds other forbidden imports.
 */
function layer(files, forbidden, {ignores = [], paths = []} = {}) {
	return [
		{
			files: [files],
			ignores,
			rules: {
				'no-restricted-imports': [
					'error',
					{
						paths,
						patterns: [
							{
								regex: `^(\\.\\./)+(${forbidden.join('|')})(/|\\.ts$)`,
								message: `${files} must not import from ${forbidden.join(', ')}: imports point down the layers (docs/ARCHITECTURE.md).`,
							},
						],
					},
				],
			},
		},
	];
}

export default tseslint.config(
	{ignores: ['dist/', 'node_modules/', 'coverage/']},
	js.configs.recommended,
	...tseslint.configs.recommended,
	{
		languageOptions: {globals: {...globals.node}},
		rules: {
			'@typescript-eslint/no-unused-vars': ['error', {argsIgnorePattern: '^_', varsIgnorePattern: '^_'}],
			'@typescript-eslint/consistent-type-imports': 'error',
			'no-console': 'off',
			eqeqeq: ['error', 'always'],
		},
	},
	// The layers (docs/ARCHITECTURE.md): imports point down only. Each folder lists the top-level folders of
	// source/ it must not import; a wrong import fails the lint, and with it `npm test`.
	// The one error type is the bottom of the tree: every layer may import it, it imports nothing of rscm.
	{files: ['source/errors.ts'], rules: {'no-restricted-imports': ['error', {patterns: [{regex: '^\\.', message: 'source/errors.ts imports nothing of rscm.'}]}]}},
	...layer('source/process/**', ['core', 'catalog', 'instance', 'files', 'ui', 'commands']),
	...layer('source/files/**', ['core', 'catalog', 'instance', 'process', 'ui', 'commands']),
	...layer('source/instance/**', ['core', 'catalog', 'process', 'ui', 'commands']),
	...layer('source/catalog/**', ['core', 'instance', 'process', 'ui', 'commands']),
	...layer('source/core/**', ['process', 'ui', 'commands']),
	...layer('source/commands/**', ['catalog', 'instance', 'ui']),
	// The UI also draws text only through its own Text, which makes control characters visible (SECURITY.md).
	...layer('source/ui/**', ['catalog', 'instance', 'files', 'commands'], {
		ignores: ['source/ui/components/Text.tsx'],
		paths: [{name: 'ink', importNames: ['Text'], message: 'Use Text from source/ui/components/Text.tsx: it keeps control characters off the terminal.'}],
	}),
	...layer('source/ui/components/Text.tsx', ['catalog', 'instance', 'files', 'commands']),
);
