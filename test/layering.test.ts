import test from 'ava';
import {ESLint} from 'eslint';

// The lint holds the layers of docs/ARCHITECTURE.md: an import that points up fails `npm test`. These plant one
// import per rule into a file of each layer (as text, nothing is written) and expect the lint to refuse it.
const eslint = new ESLint();

async function restrictedImports(filePath: string, code: string): Promise<string[]> {
	const [result] = await eslint.lintText(code, {filePath});
	return (result?.messages ?? []).filter(message => message.ruleId === 'no-restricted-imports').map(message => message.message);
}

const upward: Array<[file: string, code: string]> = [
	['source/errors.ts', "import {getStatus} from './core/status.ts';\nexport const x = getStatus;\n"],
	['source/catalog/sqlite.ts', "import {getStatus} from '../core/status.ts';\nexport const x = getStatus;\n"],
	['source/instance/identity-file.ts', "import {fingerprintPublicKey} from '../core/fingerprint.ts';\nexport const x = fingerprintPublicKey;\n"],
	['source/files/atomic-write.ts', "import {openCatalog} from '../catalog/open-catalog.ts';\nexport const x = openCatalog;\n"],
	['source/core/status.ts', "import {formatTable} from '../commands/output.ts';\nexport const x = formatTable;\n"],
	['source/core/backup/armor.ts', "import {App} from '../../ui/app.tsx';\nexport const x = App;\n"],
	['source/ui/components/Button.tsx', "import {openCatalog} from '../../catalog/open-catalog.ts';\nexport const x = openCatalog;\n"],
	['source/ui/app.tsx', "import {printJson} from '../commands/output.ts';\nexport const x = printJson;\n"],
	['source/commands/commands.ts', "import {App} from '../ui/app.tsx';\nexport const x = App;\n"],
];

for (const [file, code] of upward) {
	test(`an upward import in ${file} fails the lint`, async t => {
		const messages = await restrictedImports(file, code);
		t.is(messages.length, 1, messages.join('\n'));
		t.regex(messages[0]!, /imports point down|imports nothing/);
	});
}

test('imports that point down pass the lint', async t => {
	t.deepEqual(await restrictedImports('source/core/status.ts', "import {openCatalog} from '../catalog/open-catalog.ts';\nimport {RscmError} from '../errors.ts';\nexport const x = [openCatalog, RscmError];\n"), []);
	t.deepEqual(await restrictedImports('source/ui/app.tsx', "import {getStatus} from '../core/status.ts';\nexport const x = getStatus;\n"), []);
});

test("the UI draws text only through rscm's own Text", async t => {
	const messages = await restrictedImports('source/ui/components/Panel.tsx', "import {Text} from 'ink';\nexport const x = Text;\n");
	t.is(messages.length, 1);
	t.regex(messages[0]!, /control characters/);
});
