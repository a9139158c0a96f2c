// What the built Configuration Manager loads before its first frame (issue 5: load nothing the first frame does not
// need). Read from the bundle itself: the modules reachable by static imports from dist/cli.js, from the start-up
// chunk and from the chunks that chunk imports to draw (esbuild marks each module's code with a `// path` comment).
// Needs `npm run build` first (npm test does it).
import {readdirSync, readFileSync} from 'node:fs';
import path from 'node:path';
import test from 'ava';
import {assertBuilt, cliPath} from '../helpers/run-cli.ts';

const staticImport = /^import\s(?:[^;]*?\sfrom\s)?"(\.{1,2}\/[^"]+)";/gm;
const dynamicImport = /\bimport\("(\.{1,2}\/[^"]+)"\)/g;

function importsOf(file: string, pattern: RegExp): string[] {
	const code = readFileSync(file, 'utf8');
	return [...code.matchAll(pattern)].map(match => path.resolve(path.dirname(file), match[1]!));
}

/** The file and everything it imports statically, transitively. */
function staticClosure(file: string, into = new Set<string>()): Set<string> {
	if (into.has(file)) return into;
	into.add(file);
	for (const imported of importsOf(file, staticImport)) staticClosure(imported, into);
	return into;
}

function firstFrameFiles(): Set<string> {
	const files = staticClosure(cliPath);
	// The entry imports the start-up chunk dynamically (the commands are the other branch).
	const start = importsOf(cliPath, dynamicImport).find(file => readFileSync(file, 'utf8').includes('// source/ui/start.tsx'));
	if (start === undefined) throw new Error('dist/cli.js does not import the start-up chunk');
	staticClosure(start, files);
	// What start.tsx imports while the session opens: the session provider, the page list and the shell.
	for (const imported of importsOf(start, dynamicImport)) staticClosure(imported, files);
	return files;
}

function modulesIn(files: Set<string>): Set<string> {
	const modules = new Set<string>();
	for (const file of files) {
		for (const match of readFileSync(file, 'utf8').matchAll(/^\/\/ ((?:source|node_modules)\/\S+)$/gm)) modules.add(match[1]!);
	}

	return modules;
}

test.before(() => {
	assertBuilt();
});

test('the first frame loads Ink, the shell and the Status page, and none of the rest', t => {
	const modules = [...modulesIn(firstFrameFiles())];
	const has = (prefix: string) => modules.some(module => module.startsWith(prefix));
	// The search works: what the first frame draws with is found.
	for (const needed of ['node_modules/ink/', 'source/ui/app.tsx', 'source/ui/features/status/StatusPage.tsx', 'source/core/status.ts']) {
		t.true(has(needed), needed);
	}

	for (const unneeded of [
		'source/commands/commands.ts', // the command table
		'node_modules/conf/', // settings writes, with ajv and semver
		'node_modules/ajv/',
		'source/catalog/dialects/postgres.ts', // the PostgreSQL backend (pg itself is external)
		'source/catalog/dialects/mariadb.ts', // the MariaDB backend (mariadb itself is external)
		'source/core/password-policy.ts', // the policy
		'source/core/password-strength.ts', // the strength estimate
		'node_modules/@zxcvbn-ts/', // its library and dictionaries, megabytes of word lists
		'source/core/key-change.ts', // the key operations
		'source/core/key-backup.ts',
		'source/ui/features/encryption-keys/EncryptionKeysPage.tsx', // the pages not shown
		'source/ui/features/database/DatabasePage.tsx',
		'source/ui/features/encryption-keys/BackupKeyDialog.tsx',
		'node_modules/ws/', // Ink's devtools
	]) {
		t.false(has(unneeded), unneeded);
	}
});

test('zxcvbn and its dictionaries are chunks of their own, loaded by the Backup dialog on demand', t => {
	const chunks = path.join(path.dirname(cliPath), 'chunks');
	const everything = new Set([cliPath, ...readdirSync(chunks).filter(name => name.endsWith('.js')).map(name => path.join(chunks, name))]);
	const zxcvbnFiles = [...everything].filter(file => [...modulesIn(new Set([file]))].some(module => module.startsWith('node_modules/@zxcvbn-ts/')));
	// They are in the bundle (so their absence from the first frame above is not an accident of the search)…
	for (const dictionary of ['@zxcvbn-ts/core/', '@zxcvbn-ts/language-common/', '@zxcvbn-ts/language-en/']) {
		t.true([...modulesIn(new Set(zxcvbnFiles))].some(module => module.startsWith(`node_modules/${dictionary}`)), dictionary);
	}

	// …and only reached through a dynamic import: no file imports one of them statically.
	const first = firstFrameFiles();
	for (const file of zxcvbnFiles) t.false(first.has(file), path.basename(file));
	for (const file of everything) {
		for (const imported of importsOf(file, staticImport)) t.false(zxcvbnFiles.includes(imported) && !zxcvbnFiles.includes(file), `${path.basename(file)} imports ${path.basename(imported)} statically`);
	}
});
