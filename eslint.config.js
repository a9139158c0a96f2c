import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

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
	{
		// The UI draws text only through its own Text, which makes control characters visible (SECURITY.md).
		files: ['source/ui/**/*.tsx', 'source/ui/**/*.ts'],
		ignores: ['source/ui/components/Text.tsx'],
		rules: {
			'no-restricted-imports': ['error', {paths: [{name: 'ink', importNames: ['Text'], message: "Use Text from source/ui/components/Text.tsx: it keeps control characters off the terminal."}]}],
		},
	},
);
