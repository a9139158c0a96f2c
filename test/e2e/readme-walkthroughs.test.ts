// The README's walk-throughs, replayed as an admin follows them: readme.md is read at test time, every command line
// of its shell blocks runs as written (in a pty, where it prompts, answered as a person would), and the UI
// walk-through is typed key by key into the built program at 80×24. The test holds what each step promises (the
// comments and sentences it checks are asserted to be still in the README), so a README edit that breaks a step —
// or a program change that breaks the README — fails here. Needs `npm run build` first (npm test does it).
import {spawnSync} from 'node:child_process';
import {chmodSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync} from 'node:fs';
import path from 'node:path';
import process from 'node:process';
import {setTimeout as delay} from 'node:timers/promises';
import test, {type ExecutionContext} from 'ava';
import {postgresLocation, postgresSuite} from '../helpers/postgres-server.ts';
import {assertBuilt, cliPath, parseJson, rskeymgmtPath, root, runCli, type CliResult} from '../helpers/run-cli.ts';
import {spawnTerm, type Term} from '../helpers/term.ts';
import {tempDirectory} from '../helpers/temp-dir.ts';

const readme = readFileSync(path.join(root, 'readme.md'), 'utf8');
const password = 'Kx7#mQ2!vR9$wT4&zL';
const {maybe: postgresTest} = await postgresSuite('README walk-through');

test.before(() => {
	assertBuilt();
});

// ---------------------------------------------------------------------------------------------------------------
// Reading the README

type BlockLine = {command?: string; comment: string};
type ShellBlock = {id: string; lines: BlockLine[]};

/** Every ```sh block, named by the heading it is under and its place there (`Quick start #2`). */
function shellBlocks(markdown: string): ShellBlock[] {
	const blocks: ShellBlock[] = [];
	const perHeading = new Map<string, number>();
	let heading = '';
	let current: ShellBlock | undefined;
	for (const line of markdown.split('\n')) {
		if (current) {
			if (line.startsWith('```')) {
				blocks.push(current);
				current = undefined;
				continue;
			}

			const trimmed = line.trim();
			if (trimmed === '') continue;
			if (trimmed.startsWith('#')) {
				current.lines.push({comment: trimmed.replace(/^#\s*/, '')});
				continue;
			}

			const commented = /^(.*?)\s+#\s(.*)$/.exec(trimmed);
			current.lines.push(commented ? {command: commented[1]!, comment: commented[2]!} : {command: trimmed, comment: ''});
		} else if (line.startsWith('```sh')) {
			const count = (perHeading.get(heading) ?? 0) + 1;
			perHeading.set(heading, count);
			current = {id: `${heading} #${count}`, lines: []};
		} else if (/^#{2,4} /.test(line)) {
			heading = line.replace(/^#+ /, '');
		}
	}

	return blocks;
}

function shellBlock(id: string): ShellBlock {
	const block = shellBlocks(readme).find(candidate => candidate.id === id);
	if (!block) throw new Error(`The README has no shell block "${id}" any more: update this test with it.`);
	return block;
}

/** The numbered list under a heading, one string per step (its wrapped lines joined). */
function numberedSteps(heading: string): string[] {
	const start = readme.indexOf(`\n${heading}\n`);
	if (start < 0) throw new Error(`The README has no heading "${heading}" any more.`);
	const steps: string[] = [];
	for (const line of readme.slice(start + heading.length + 2).split('\n')) {
		if (/^#{1,4} /.test(line)) break;
		const numbered = /^\d+\. (.*)$/.exec(line);
		if (numbered) steps.push(numbered[1]!);
		else if (steps.length > 0 && /^ {2,}\S/.test(line)) steps[steps.length - 1] += ` ${line.trim()}`;
	}

	return steps;
}

/** The rows of the Markdown table that follows a heading, as cells. */
function tableAfter(heading: string): string[][] {
	const start = readme.indexOf(`\n${heading}\n`);
	if (start < 0) throw new Error(`The README has no heading "${heading}" any more.`);
	const rows: string[][] = [];
	for (const line of readme.slice(start).split('\n').slice(2)) {
		if (line.startsWith('|')) rows.push(line.slice(1, -1).split(' | ').map(cell => cell.trim()));
		else if (rows.length > 0) break;
	}

	return rows.slice(2);
}

/** The shell words of a command line: quotes removed, `~/` at a word's start is the home directory. */
function words(commandLine: string, home: string): string[] {
	return [...commandLine.matchAll(/(?:'[^']*'|[^\s'])+/g)].map(([word]) => {
		const unquoted = word.replaceAll("'", '');
		return word.startsWith('~/') ? path.join(home, unquoted.slice(2)) : unquoted;
	});
}

// eslint-disable-next-line no-control-regex
const ansi = /\u001B(?:\[[\d;?]*[A-Za-z]|\][^\u0007]*\u0007)/g;

// ---------------------------------------------------------------------------------------------------------------
// Servers and a shell to replay command lines on them

/** One report server: its own home, instance directory and machine name (saved where `rscm init` reads it). */
type Server = {name: string; home: string; instanceDirectory: string};

function makeServer(base: string, name: string): Server {
	const home = path.join(base, `server-${name}`);
	const instanceDirectory = path.join(home, '.config', 'rscm');
	mkdirSync(instanceDirectory, {recursive: true});
	chmodSync(instanceDirectory, 0o700);
	writeFileSync(path.join(instanceDirectory, 'settings.json'), JSON.stringify({machine: `SERVER${name}`}), {mode: 0o600});
	return {name, home, instanceDirectory};
}

/** What a server's shell passes to rscm: its home and instance directory, plus the variables exported so far. */
function serverEnvironment(server: Server, exported: Record<string, string> = {}): Record<string, string | undefined> {
	return {
		HOME: server.home,
		XDG_CONFIG_HOME: undefined,
		XDG_DATA_HOME: undefined,
		RSCM_INSTANCE_DIR: server.instanceDirectory,
		RSCM_CATALOG: undefined,
		RSCM_DEBUG: undefined,
		// npm sets INIT_CWD for `npx ava`; the Backup dialog would suggest its file there instead of the working
		// directory, which a login shell's PWD names.
		INIT_CWD: undefined,
		PWD: server.home,
		LANG: 'C.UTF-8',
		LC_ALL: undefined,
		...exported,
	};
}

type Answers = {
	password?: string;
	confirm?: 'y' | 'n';
	/** Runs alongside the command, with its terminal: to act while it is under way. */
	meanwhile?: (term: Term) => Promise<void>;
};
type Ran = {code: number; output: string};

/**
 * Runs one command as typed at a terminal: in a pty, so the no-echo password prompt and the [y/N] question appear
 * as they do for a person, answered once they are on the screen (keys typed before a prompt are discarded).
 * The output is stdout and stderr as the terminal received them, escape codes removed.
 */
async function runAtTerminal(t: ExecutionContext, argv: string[], env: Record<string, string | undefined>, cwd: string, answers: Answers = {}): Promise<Ran> {
	const [program, ...args] = argv;
	const script = program === 'rscm' ? cliPath : program === 'rskeymgmt' ? rskeymgmtPath : undefined;
	if (!script) throw new Error(`The walk-through runs \`${argv.join(' ')}\`, which this test cannot replay.`);
	const term = spawnTerm(process.execPath, [script, ...args], {cols: 200, cwd, env});
	t.teardown(() => term.dispose());
	let exit: {exitCode: number} | undefined;
	void term.exit.then(result => {
		exit = result;
	});
	const output = () => term.rawOutput().replaceAll(ansi, '').replaceAll('\r', '');
	// Its failure is reported once the command has exited, not as an unhandled rejection meanwhile.
	const meanwhile = answers.meanwhile?.(term).then(
		() => undefined,
		(error: unknown) => (error instanceof Error ? error : new Error(String(error))),
	);
	let passwordsGiven = 0;
	let questionsAnswered = 0;
	const deadline = Date.now() + 90_000;
	while (exit === undefined) {
		const text = output();
		if ((text.match(/Password: /g)?.length ?? 0) > passwordsGiven) {
			if (answers.password === undefined) throw new Error(`\`${argv.join(' ')}\` asked for a password:\n${text}`);
			passwordsGiven++;
			term.type(`${answers.password}\r`);
		} else if ((text.match(/\[y\/N\]/g)?.length ?? 0) > questionsAnswered) {
			if (answers.confirm === undefined) throw new Error(`\`${argv.join(' ')}\` asked a question:\n${text}`);
			questionsAnswered++;
			term.type(`${answers.confirm}\r`);
		}

		if (Date.now() > deadline) throw new Error(`\`${argv.join(' ')}\` did not finish:\n${text}`);
		await delay(20);
	}

	const failed = await meanwhile;
	if (failed) throw failed;
	if (answers.password !== undefined) t.false(term.rawOutput().includes(answers.password), 'the password is not echoed');
	return {code: exit.exitCode, output: output()};
}

type Step = Ran & {command: string; notes: string};

/**
 * Walks a shell block line by line. `run(expected)` takes the next command line, which must start as the test
 * expects (so a reordered or new step makes the test say so), switches server at a `# N. Server X:` comment, puts
 * in the values the README says to take from elsewhere, and runs it as written. `notes` is the comment text around
 * it, which the test checks for the outcome it promises.
 */
function replay(t: ExecutionContext, block: ShellBlock, servers: Record<string, Server>, first: string) {
	let position = 0;
	let server = servers[first]!;
	let section: string[] = [];
	const exported: Record<string, string> = {};
	const substitutions: Array<[string, string]> = [];
	return {
		get server() {
			return server;
		},
		env: () => serverEnvironment(server, exported),
		/** A value the README shows as an example and says where to take from (longest first when they overlap). */
		substitute(example: string, actual: string) {
			substitutions.push([example, actual]);
			substitutions.sort((a, b) => b[0].length - a[0].length);
		},
		/** A variable the server's environment has already (the README: "with the catalog in RSCM_CATALOG"). */
		export(name: string, value: string) {
			exported[name] = value;
		},
		async run(expected: string, answers: Answers = {}, before?: (notes: string) => Promise<void> | void): Promise<Step> {
			for (;;) {
				const line = block.lines[position++];
				if (!line) throw new Error(`${block.id} has no step \`${expected}\` any more.`);
				if (line.command === undefined) {
					// A numbered comment (or `# … then:`) starts a step of its own; other comments continue it.
					if (/^(\d+\w?\.|…) /.test(line.comment)) section = [];
					section.push(line.comment);
					const serverSwitch = /^\d+\w?\. Server (\w+):/.exec(line.comment);
					if (serverSwitch) server = servers[serverSwitch[1]!]!;
					continue;
				}

				// The comment lines right after a command explain it too (`#    (B's fingerprint from …)`).
				const following: string[] = [];
				for (const next of block.lines.slice(position)) {
					if (next.command !== undefined || /^(\d+\w?\.|…) /.test(next.comment)) break;
					following.push(next.comment);
				}

				const notes = [...section, line.comment, ...following].join(' ');
				await before?.(notes);
				let command = line.command;
				for (const [example, actual] of substitutions) command = command.replaceAll(example, actual);
				if (!command.startsWith(expected)) {
					throw new Error(`${block.id}: the next step is \`${line.command}\`, where this test expects \`${expected}…\`: update the test.`);
				}
				const argv = words(command, server.home);
				if (argv[0] === 'export') {
					const [name, ...value] = argv[1]!.split('=');
					exported[name!] = value.join('=');
					return {command, notes, code: 0, output: ''};
				}

				return {command, notes, ...(await runAtTerminal(t, argv, serverEnvironment(server, exported), server.home, answers))};
			}
		},
		/** The block has no command left that the test did not run. */
		done() {
			const left = block.lines.slice(position).filter(line => line.command !== undefined);
			t.deepEqual(left.map(line => line.command), [], `${block.id} has steps this test does not replay`);
		},
	};
}

type Status = {
	installationId: string;
	status: string;
	identity: {fingerprint: string};
	primaryKey: {fingerprint: string; version: number};
	catalog: {kind: string; location: string; catalogId: string};
	rotation?: {done: number; total: number};
};

async function statusOf(env: Record<string, string | undefined>): Promise<Status> {
	return parseJson<Status>(await runCli(['status', '--json'], {env}));
}

/** `jq -r .a.b` as a README comment writes it, applied to a JSON document. */
function jqPath(document: unknown, jq: string): string {
	const value = jq
		.split('.')
		.filter(Boolean)
		.reduce<unknown>((object, key) => (object as Record<string, unknown> | undefined)?.[key], document);
	if (typeof value !== 'string') throw new Error(`\`jq -r ${jq}\` finds no string in \`rscm status --json\`.`);
	return value;
}

/** The data sources a server reads, decrypted: what "every data source reads as before" compares. */
async function revealAll(t: ExecutionContext, env: Record<string, string | undefined>, names: string[]): Promise<unknown[]> {
	return Promise.all(
		names.map(async name => {
			const result = await runCli(['datasource', 'show', name, '--reveal', '--json'], {env});
			t.is(result.code, 0, result.stderr);
			return parseJson(result);
		}),
	);
}

async function importDataSources(t: ExecutionContext, env: Record<string, string | undefined>, count: number): Promise<string[]> {
	const names = Array.from({length: count}, (_, index) => `DS-${index}`);
	const lines = names.map((name, index) => JSON.stringify({name, connectionString: `Server=db;Database=D${index}`, username: `u${index}`, password: `p-${index}`}));
	const result = await runCli(['datasource', 'import'], {env, stdin: `${lines.join('\n')}\n`, timeoutMs: 120_000});
	t.is(result.code, 0, result.stderr);
	return names.slice(0, 3);
}

const fileMode = (file: string) => statSync(file).mode & 0o777;

// ---------------------------------------------------------------------------------------------------------------
// Which shell blocks are replayed, and why the others are not

const notReplayed: Record<string, string> = {
	'Quick start #1': 'developer commands: `npm start` opens the manager (the UI tests cover it), `npm test` is the whole suite',
	'Performance #1': 'the benchmarks take minutes; `npm run bench` is run by hand',
	'Development #1': 'developer commands, run by `npm test` itself',
	'Install #1': 'packing and a global install take minutes; test/e2e/package-install.test.ts does exactly this',
	'Scheduled backups #1': 'the command line of contrib/cron/rscm-backup, which test/commands/systemd-units.test.ts runs against a real catalog',
	'Scheduled backups #2': 'installs into /etc and starts systemd units (needs root and a running systemd); test/commands/systemd-units.test.ts verifies the units and runs their command lines',
};

const replayed = [
	'Quick start #2',
	'Install #2',
	'Backing up and restoring the key #1',
	'Scale-out deployment #1',
	'Scale-out deployment #2',
	'Scale-out deployment #3',
];

test('every shell block of the README is replayed here, or says why not', t => {
	t.deepEqual(
		shellBlocks(readme).map(block => block.id).sort(),
		[...replayed, ...Object.keys(notReplayed)].sort(),
		'a shell block was added or moved: replay it in this file (or add it to notReplayed with the reason)',
	);
});

// ---------------------------------------------------------------------------------------------------------------
// The Configuration Manager walk-through, in a pty at 80×24

/** The Results pane's text, borders gone and wrapped lines joined. */
function resultsText(screen: string): string {
	const lines = screen.split('\n');
	const top = lines.findIndex(line => line.includes('Results'));
	const body: string[] = [];
	for (const line of lines.slice(top + 1)) {
		if (/^[└+]/.test(line)) break;
		body.push(line.replace(/^[│|] ?/, '').replace(/ *[│|]$/, ''));
	}

	return body.join(' ').replaceAll(/\s+/g, ' ').trim();
}

async function openManager(t: ExecutionContext, argv: string[], env: Record<string, string | undefined>, cwd: string): Promise<Term> {
	t.is(argv[0], 'rscm');
	const term = spawnTerm(process.execPath, [cliPath, ...argv.slice(1)], {cwd, env});
	t.teardown(() => term.dispose());
	await term.waitForText('Report Server Configuration Manager —');
	return term;
}

const spinner = /[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏]/;

test.serial('Walk-through: back up the key, restore it on another server — typed key by key at 80×24', async t => {
	const steps = numberedSteps('### Walk-through: back up the key, restore it on another server');
	t.is(steps.length, 4, 'the walk-through has four steps');
	const says = (step: number, sentence: string) => {
		t.true(steps[step - 1]!.includes(sentence), `README walk-through step ${step} no longer says: ${sentence}`);
	};

	const base = await tempDirectory(t, 'rw-');
	const catalog = path.join(base, 'catalog.db');
	const a = makeServer(base, 'A');
	const b = makeServer(base, 'B');
	const aEnv = {...serverEnvironment(a), RSCM_CATALOG: catalog};
	t.is((await runCli(['init', '--name', 'SSRS'], {env: aEnv})).code, 0);
	const dataSources = await importDataSources(t, aEnv, 3);
	const before = await revealAll(t, aEnv, dataSources);
	const term = await openManager(t, ['rscm'], aEnv, a.home);

	// 1. Encryption Keys, enter the page (the focus is on its first button, Backup), press it.
	says(1, 'Press `8` (Encryption Keys), Enter, and Enter again on **Backup**.');
	await term.press('8', 'enter');
	await term.waitForText(/\[.?Backup.?\]/);
	await term.press('enter');
	says(1, 'The **Backup Encryption Key** dialog suggests a File Location (`rskey-<instance>-<yyyymmdd>.snk` in the current directory');
	await term.waitForText('Backup Encryption Key');
	const day = new Date().toISOString().slice(0, 10).replaceAll('-', '');
	const file = path.join(a.home, `rskey-ssrs-${day}.snk`);
	await term.waitForText(`rskey-ssrs-${day}.snk`);
	// The focus on Password shows in what typing does: the `*` appear in that field (below).
	says(1, 'the focus is on Password');

	// 2. The password, then Tab and the confirmation: `*` only, the checklist turning ✔ rule by rule as it is typed.
	says(2, 'Type the Password, Tab, and type it again in Confirm Password: both show `*` only.');
	says(2, 'The checklist below turns each rule ✔ as you type (8 characters, an uppercase letter, a lowercase letter, a symbol)');
	for (const rule of [/✖ 8 or more/, /✖ Uppercase/, /✖ Lowercase/, /✖ Symbol/]) t.regex(term.screen(), rule);
	// The password's characters one by one, with the rules each one meets: K (uppercase), x (lowercase), 7, # (symbol)…
	const rulesMet: Array<[number, RegExp]> = [
		[1, /✔ Uppercase/],
		[2, /✔ Lowercase/],
		[4, /✔ Symbol/],
		[8, /✔ 8 or more/],
	];
	for (const [index, character] of [...password].entries()) {
		await term.press(character);
		await term.waitForText(new RegExp(`Password: +\\[\\*{${index + 1}} `));
		for (const [count, rule] of rulesMet) if (count === index + 1) await term.waitForText(rule);
		if (index === 3) {
			t.regex(term.screen(), /✖ 8 or more/, 'the length rule is still unmet after four characters');
			says(2, 'a strength line warns about guessable passwords');
			// The estimate's dictionaries load when the dialog opens: "checking…" may stand until they are in.
			await term.waitForText(/Strength: .*weak/);
		}
	}

	await term.press('tab');
	await term.waitForText(/›Confirm Password:/);
	says(2, 'the match indicator says whether the two agree');
	for (const [index, character] of [...password].entries()) {
		await term.press(character);
		await term.waitForText(new RegExp(`Confirm Password: *\\[\\*{${index + 1}} `));
		if (index === 0) await term.waitForText(/✖ Passwords do not match/);
	}

	await term.waitForText(/✔ Passwords match/);
	t.false(term.rawOutput().includes(password.slice(0, 4)), 'no part of the password reaches the screen');
	says(2, 'OK with a rule unmet or a mismatch is refused at the field.');

	// 3. OK: a spinner while the key is derived, the UI still drawing; then the Results line and a 0600 file.
	says(3, 'Tab to **OK**, Enter. A spinner runs while the key is derived from the password');
	await term.press('tab');
	await term.waitForText(/\[.?OK.?\]/);
	await term.press('enter');
	await term.waitForText(spinner);
	says(3, 'the UI keeps answering keys');
	const firstFrame = spinner.exec(term.screen())![0];
	await term.waitForText(new RegExp(`[${'⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏'.replace(firstFrame, '')}]`));
	const {primaryKey} = await statusOf(aEnv);
	says(3, 'The Results pane then shows `✔ Key 8552-c393-7aa6-f2d3 backed up to /root/rskey-ssrs-20261129.snk`; the file is mode 0600.');
	await term.waitForText('backed up to');
	await term.waitForNoText(spinner);
	t.true(resultsText(term.screen()).includes(`✔ Key ${primaryKey.fingerprint} backed up to ${file}`), term.screen());
	t.is(fileMode(file), 0o600);
	// "An existing file asks before it is overwritten": the same steps again, onto the file just written.
	says(3, 'An existing file asks before it is overwritten.');
	const written = readFileSync(file, 'utf8');
	await term.press('enter');
	await term.waitForText('Backup Encryption Key');
	await term.press(...password, 'tab', ...password, 'tab', 'enter');
	await term.waitForText('already exists.');
	await term.waitForText(/\[.?Replace.?\]/);
	t.is(readFileSync(file, 'utf8'), written, 'nothing is written before the answer');
	await term.press('esc');
	await term.waitForText('The file exists');
	await term.press('esc');
	await term.waitForNoText('Backup Encryption Key');
	// Step 2's refusals, the same way: OK with a rule unmet, then with a mismatch, each refused at its field.
	for (const [first, second, refusal] of [
		['lowercase!', 'lowercase!', /✖ Missing: an uppercase letter/],
		[password, `${password}x`, /✖ Password and Confirm Password differ\./],
	] as const) {
		await term.press('enter');
		await term.waitForText('Backup Encryption Key');
		await term.press(...first, 'tab', ...second, 'tab', 'enter');
		await term.waitForText(refusal);
		t.true(term.screen().includes('Backup Encryption Key'), 'the dialog stays open');
		await term.press('esc');
		await term.waitForNoText('Backup Encryption Key');
	}

	t.is(readFileSync(file, 'utf8'), written, 'no refused OK wrote the file');

	// 4. The other server: register it on the same catalog, open the manager there, Restore (it has the focus).
	const register = /`(rscm init --catalog <the same catalog>)` registers it \(Waiting to Join\)/.exec(steps[3]!);
	t.truthy(register, 'step 4 registers the other server with `rscm init --catalog <the same catalog>`');
	const bEnv = serverEnvironment(b);
	const init = await runAtTerminal(t, words(register![1]!.replace('<the same catalog>', catalog), b.home), bEnv, b.home);
	t.is(init.code, 0, init.output);
	t.regex(init.output, /Waiting to Join/);
	const open = /Open `(rscm[^`]*)`[^.]*?, press `8`, Enter: on a server Waiting to Join only Restore and Delete can be pressed, and the focus is already on \*\*Restore\*\*\./.exec(steps[3]!);
	t.truthy(open, 'step 4 opens the manager, presses 8, Enter, and finds the focus on Restore');
	const openArgv = words(open![1]!.replace('<the same catalog>', catalog), b.home);
	// "makes it this instance's catalog": B's commands, and `rscm` alone, now use it without being told.
	says(4, "makes it this instance's catalog, as Change Database does");
	t.is((await statusOf(bEnv)).catalog.location, catalog, 'rscm init --catalog saves the location, as step 4 says');

	// "Only Restore and Delete can be pressed": Tab goes from one to the other and back, over Backup and Change.
	const probe = await openManager(t, openArgv, bEnv, b.home);
	await probe.waitForText(/Key status +Waiting to Join/);
	await probe.press('8', 'enter');
	await probe.waitForText(/\[.?Restore.?\]/);
	await probe.press('tab', 'enter');
	await probe.waitForText('Delete Encrypted Content');
	await probe.press('esc');
	await probe.waitForNoText('Delete Encrypted Content');
	await probe.press('tab', 'enter');
	await probe.waitForText('Restore Encryption Key');
	probe.dispose();

	const other = await openManager(t, openArgv, bEnv, b.home);
	await other.waitForText(/Key status +Waiting to Join/);
	await other.press('8', 'enter');
	await other.waitForText(/\[.?Restore.?\]/);
	says(4, 'Enter; type the File Location, Tab, the Password, and Enter (OK).');
	await other.press('enter');
	await other.waitForText('Restore Encryption Key');
	await other.press(...file, 'tab', ...password, 'enter');
	await other.waitForText(/✔ ?Key [\da-f-]+ restored from /);
	says(4, 'The Status page (Esc, `1`) then shows **Joined**, and every data source reads as before.');
	await other.press('esc', '1');
	await other.waitForText(/Key status +Joined/);
	t.deepEqual(await revealAll(t, {...bEnv, RSCM_CATALOG: catalog}, dataSources), before);
	t.false(other.rawOutput().includes(password));
});

test.serial('A stopped key change: Status shows it pending, and `8`, Enter, Enter resumes it with no dialog', async t => {
	const says = (sentence: string) => {
		const normalized = (text: string) => text.replaceAll(/\s+/g, ' ');
		t.true(normalized(readme).includes(normalized(sentence)), `the README no longer says: ${sentence}`);
	};

	const base = await tempDirectory(t, 'rw-');
	const server = makeServer(base, 'A');
	const env = serverEnvironment(server);
	t.is((await runCli(['init', '--name', 'SSRS'], {env})).code, 0);
	await importDataSources(t, env, 20_000);
	// Stopped as the README says a quit does it, "exactly as `rscm key change` does": Ctrl+C after a batch.
	says('A key change running when you quit stops after its current batch, exactly as `rscm key change` does');
	says('prints the same `rscm: Key change stopped after N of M values. [CANCELLED]` and its hint, and exits 130 (Ctrl+C)');
	const stopped = await runAtTerminal(t, ['rscm', 'key', 'change', '--yes'], env, server.home, {
		async meanwhile(term) {
			await term.waitForText(/Re-encrypting: [1-9][\d,]* of /, 60_000);
			await term.press('ctrlC');
		},
	});
	t.is(stopped.code, 130, stopped.output);
	t.regex(stopped.output, /rscm: Key change stopped after [\d,]+ of 60,000 values\. \[CANCELLED\]/);

	says('The next time, Status shows the pending change (`Key change  pending: …` and where to resume it)');
	const term = await openManager(t, ['rscm'], env, server.home);
	await term.waitForText(/Key change +pending: /);
	says('on Encryption Keys the Change button becomes **Resume**, with the focus: `8`, Enter, Enter resumes it, with no dialog in between');
	await term.press('8', 'enter');
	await term.waitForText(/\[.?Resume.?\]/);
	await term.press('enter');
	await term.waitForText(/✔ ?Key changed to [\da-f-]+ \(version 2\) \(resumed\)/, 60_000);
	// The change's progress is drawn in its dialog; the confirmation a new change asks first never appeared.
	t.false(term.rawOutput().includes('Creates a new symmetric key'), 'no confirmation came in between');
	t.is((await statusOf(env)).rotation, undefined);
});

// ---------------------------------------------------------------------------------------------------------------
// The shell blocks

test.serial('Quick start: init, back up at the prompts (no echo), status', async t => {
	const base = await tempDirectory(t, 'rw-');
	const server = makeServer(base, 'A');
	const shell = replay(t, shellBlock('Quick start #2'), {A: server}, 'A');
	shell.substitute('/root/', `${server.home}/`);

	const init = await shell.run('rscm init');
	t.is(init.code, 0, init.output);
	t.true(init.notes.includes('create the catalog, generate key version 1, join'));
	t.regex(init.output, /Created catalog .*catalog\.db/);
	t.regex(init.output, /created key version 1 \([\da-f-]+\) and joined/);

	const backup = await shell.run('rscm key backup --file', {password});
	t.is(backup.code, 0, backup.output);
	t.true(backup.notes.includes('prompts for Password and Confirm Password (no echo)'));
	t.regex(backup.output, /^Password: \nConfirm Password: \n/);
	t.is(fileMode(path.join(server.home, 'rskey.snk')), 0o600);

	const status = await shell.run('rscm status');
	t.is(status.code, 0, status.output);
	t.regex(status.output, /Key status: +Joined/);
	t.notRegex(status.output, /Last backup: +Never/);
	shell.done();
});

test.serial('Backing up and restoring the key: backup, verify, and restore on a rebuilt server or after the identity file is lost', async t => {
	for (const loss of ['the server is rebuilt', 'its identity file is lost'] as const) {
		const base = await tempDirectory(t, 'rw-');
		const server = makeServer(base, 'A');
		const env = serverEnvironment(server);
		t.is((await runCli(['init'], {env})).code, 0);
		const dataSources = await importDataSources(t, env, 3);
		const before = await revealAll(t, env, dataSources);
		const block = shellBlock('Backing up and restoring the key #1');
		const file = path.join(server.home, 'rskey-ssrs-20261129.snk');

		// "policy-checked": the same line with a password that misses rules writes nothing.
		const weak = replay(t, block, {A: server}, 'A');
		weak.substitute('/root/', `${server.home}/`);
		const refused = await weak.run('rscm key backup --file', {password: 'onlylowercase'});
		t.true(refused.notes.includes('Password + Confirm Password, policy-checked'));
		t.is(refused.code, 1);
		t.regex(refused.output, /\[WEAK_PASSWORD\]/);
		t.false(existsSync(file));

		const shell = replay(t, block, {A: server}, 'A');
		shell.substitute('/root/', `${server.home}/`);
		const backup = await shell.run('rscm key backup --file', {password});
		t.is(backup.code, 0, backup.output);
		t.is(fileMode(file), 0o600);

		const verify = await shell.run('rscm key verify --file', {password});
		t.is(verify.code, 0, verify.output);
		t.true(verify.notes.includes('what it holds; whether it can be restored here'));
		const {primaryKey} = await statusOf(env);
		t.regex(verify.output, new RegExp(`version 1 +${primaryKey.fingerprint} +\\(primary\\)`));
		t.regex(verify.output, /can be restored/);

		const init = await shell.run('rscm init', {}, async notes => {
			t.true(notes.includes('… the server is rebuilt, or its identity file is lost (then `rscm status` says Key unavailable):'));
			if (loss === 'the server is rebuilt') {
				rmSync(server.instanceDirectory, {recursive: true});
			} else {
				rmSync(path.join(server.instanceDirectory, 'identity.key'));
				const status = await runCli(['status'], {env});
				t.regex(status.stdout + status.stderr, /Key status: +Key unavailable/);
			}
		});
		t.is(init.code, 0, init.output);
		t.true(init.notes.includes('registers this instance again: Waiting to Join'));
		t.regex(init.output, /Status: Waiting to Join/);

		const restore = await shell.run('rscm key restore --file', {password});
		t.is(restore.code, 0, restore.output);
		t.is((await statusOf(env)).status, 'joined');
		t.deepEqual(await revealAll(t, env, dataSources), before, loss);
		shell.done();
	}
});

postgresTest.serial('Scale-out deployment: the step-by-step block, then recovering after losing every server', async t => {
	const base = await tempDirectory(t, 'rw-');
	const catalog = postgresLocation(t);
	const servers = {A: makeServer(base, 'A'), B: makeServer(base, 'B')};
	const shell = replay(t, shellBlock('Scale-out deployment #1'), servers, 'A');
	shell.substitute('/root/', `${base}/`);
	shell.substitute(/export RSCM_CATALOG='([^']+)'/.exec(readme)![1]!, catalog);
	const on = (server: keyof typeof servers) => ({...serverEnvironment(servers[server]), RSCM_CATALOG: catalog});

	t.is((await shell.run('export RSCM_CATALOG=')).code, 0);
	// 1. Server A
	const aInit = await shell.run('rscm init --name SSRS');
	t.true(aInit.notes.includes('1. Server A: create the catalog and the key; A joins.'));
	t.is(aInit.code, 0, aInit.output);
	t.regex(aInit.output, /created key version 1 .*joined/);
	// Data sources enough for the key change below to last while another server tries one.
	const dataSources = await importDataSources(t, on('A'), 4000);
	const before = await revealAll(t, on('A'), dataSources);
	const aBackup = await shell.run('rscm key backup --file', {password});
	t.true(aBackup.notes.includes('Back up the key at once.'));
	t.is(aBackup.code, 0, aBackup.output);
	t.is(fileMode(path.join(base, 'rskey-ssrs.snk')), 0o600);

	// 2. Server B
	const bInit = await shell.run('rscm init --name SSRS');
	t.is(shell.server.name, 'B');
	t.true(bInit.notes.includes('B has no key yet: Waiting to Join. Note the identity fingerprint it prints.'));
	t.is(bInit.code, 0, bInit.output);
	const b = await statusOf(on('B'));
	t.regex(bInit.output, new RegExp(`Waiting to Join\\. Identity fingerprint ${b.identity.fingerprint}`));
	const bStatus = await shell.run('rscm status');
	t.true(bStatus.notes.includes('Key status: Waiting to Join; its Installation id and Identity fingerprint'));
	t.regex(bStatus.output, /Key status: +Waiting to Join/);
	t.regex(bStatus.output, new RegExp(`Installation id: +${b.installationId}`));
	t.true(bStatus.output.includes(b.identity.fingerprint));

	// 3. Server A adds B, after comparing B's identity fingerprint.
	const list = await shell.run('rscm instance list');
	t.is(shell.server.name, 'A');
	t.true(list.notes.includes('B is listed as Waiting to Join, with its installation id and identity fingerprint'));
	t.regex(list.output, new RegExp(`SERVERB +SSRS +Waiting to Join +${b.installationId} +${b.identity.fingerprint}`));
	shell.substitute('5c1e2a90-…', b.installationId);
	shell.substitute('5c1e', (b.installationId).slice(0, 4));
	// The interactive form shows the fingerprint and asks; answered No here, as the script form below does the add.
	const asked = await shell.run('rscm instance add', {confirm: 'n'});
	t.true(asked.notes.includes("shows B's fingerprint and asks; in a script:"));
	t.true(asked.output.includes(`identity fingerprint: ${b.identity.fingerprint}`), asked.output);
	t.regex(asked.output, /\[y\/N\]/);
	const scriptedAdd = await shell.run('rscm instance add', {}, notes => {
		const from = /\(B's fingerprint from `rscm status --json \| jq -r ([.\w]+)` on B\)/.exec(notes);
		t.truthy(from, notes);
		shell.substitute('3f2a-91c0-77de-0b14-aa12', jqPath(b, from![1]!));
	});
	t.is(scriptedAdd.code, 0, scriptedAdd.output);
	t.regex(scriptedAdd.output, /Added SERVERB\\SSRS/);

	// 3b. Server B confirms the key fingerprint it received.
	const unconfirmed = await runCli(['datasource', 'show', dataSources[0]!, '--reveal'], {env: on('B')});
	const askedAccept = await shell.run('rscm key accept', {confirm: 'n'}, async notes => {
		t.true(notes.includes('Until then B is "Key not confirmed" and uses no key (KEY_NOT_CONFIRMED).'));
		const status = await runCli(['status'], {env: on('B')});
		t.regex(status.stdout + status.stderr, /Key status: +Key not confirmed/);
		t.regex(unconfirmed.stderr, /\[KEY_NOT_CONFIRMED\]/);
	});
	t.is(shell.server.name, 'B');
	t.true(askedAccept.notes.includes('shows the key fingerprint B was given and asks; in a script:'));
	const a = await statusOf(on('A'));
	t.true(askedAccept.output.includes(a.primaryKey.fingerprint), askedAccept.output);
	t.regex(askedAccept.output, /\[y\/N\]/);
	const accept = await shell.run('rscm key accept --fingerprint', {}, notes => {
		const from = /\(A's Primary key fingerprint from `rscm status --json \| jq -r ([.\w]+)` on A\)/.exec(notes);
		t.truthy(from, notes);
		shell.substitute('8552-c393-7aa6-f2d3', jqPath(a, from![1]!));
	});
	t.is(accept.code, 0, accept.output);
	t.is((await statusOf(on('B'))).status, 'joined');

	// 4. A key change on the server the block is on ("any joined server"); meanwhile the other one keeps reading,
	// and a key change of its own is refused with BUSY.
	const changer = shell.server.name as keyof typeof servers;
	const other = changer === 'A' ? 'B' : 'A';
	let duringChange: [CliResult, CliResult] | undefined;
	const step = shell.run(
		'rscm key change --yes',
		{
			// Once the change has committed a batch it is paused (SIGSTOP: as a slow batch would leave it), so that the
			// other server's key change and read surely fall while it is under way; then it goes on.
			async meanwhile(term) {
				await term.waitForText(/Re-encrypting: [1-9][\d,]* of /, 60_000);
				term.kill('SIGSTOP');
				try {
					duringChange = await Promise.all([
						runCli(['key', 'change', '--yes'], {env: on(other)}),
						runCli(['datasource', 'show', dataSources[0]!, '--reveal', '--json'], {env: on(other)}),
					]);
				} finally {
					term.kill('SIGCONT');
				}
			},
		},
		notes => {
			t.true(notes.includes('4. Any joined server: change the key.'));
			t.true(notes.includes('Every joined server gets the new key; the others keep reading meanwhile.'));
			t.true(notes.includes('A second `rscm key change` on another server meanwhile refuses with BUSY.'));
		},
	);
	const change = await step;
	t.is(change.code, 0, change.output);
	t.regex(change.output, /Finished key change: version 2/);
	const [busy, read] = duringChange!;
	t.is(busy.code, 1, busy.stderr);
	t.regex(busy.stderr, /\[BUSY\]/);
	t.is(read.code, 0, read.stderr);
	for (const server of ['A', 'B'] as const) {
		t.is((await statusOf(on(server))).primaryKey.version, 2, server);
		t.deepEqual(await revealAll(t, on(server), dataSources), before);
	}

	const newBackup = await shell.run('rscm key backup --file', {password});
	t.true(newBackup.notes.includes('Back up the new key afterwards.'));
	t.is(newBackup.code, 0, newBackup.output);

	// 5. Removing B.
	const remove = await shell.run('rscm instance remove', {});
	t.true(remove.notes.includes('its wrapped copy of the key is deleted with it'));
	t.is(remove.code, 0, remove.output);
	const instances = parseJson<Array<{installationId: string}> | {instances: Array<{installationId: string}>}>(await runCli(['instance', 'list', '--json'], {env: on('A')}));
	t.false(JSON.stringify(instances).includes(b.installationId));
	shell.done();

	// Recovering after losing every server: A's machine is gone too; a new server C restores the last backup (the
	// catalog in RSCM_CATALOG, as the block's servers have it).
	rmSync(servers.A.home, {recursive: true});
	const recoveryBlock = shellBlock('Scale-out deployment #2');
	const recoveryServer = makeServer(base, 'C');
	const recovery = replay(t, recoveryBlock, {C: recoveryServer}, 'C');
	recovery.export('RSCM_CATALOG', catalog);
	recovery.substitute('/root/', `${base}/`);
	const cInit = await recovery.run('rscm init --name SSRS');
	t.true(cInit.notes.includes('registers: Waiting to Join (the catalog keeps its keyring)'));
	t.is(cInit.code, 0, cInit.output);
	t.regex(cInit.output, /Waiting to Join/);
	// "must be a backup made after the last key change": the backup of step 1, from before it, is refused.
	const outdated = replay(t, recoveryBlock, {C: recoveryServer}, 'C');
	outdated.export('RSCM_CATALOG', catalog);
	outdated.substitute('/root/rskey-ssrs-2.snk', path.join(base, 'rskey-ssrs.snk'));
	await outdated.run('rscm init --name SSRS');
	const refused = await outdated.run('rscm key restore --file', {password});
	t.true(refused.notes.includes('must be a backup made after the last key change'));
	t.is(refused.code, 1, refused.output);
	t.regex(refused.output, /\[BACKUP_OUTDATED\]/);
	const restore = await recovery.run('rscm key restore --file', {password});
	t.is(restore.code, 0, restore.output);
	const cStatus = await recovery.run('rscm status');
	t.true(cStatus.notes.includes('Joined; then add the other servers as in step 3'));
	t.regex(cStatus.output, /Key status: +Joined/);
	t.deepEqual(await revealAll(t, recovery.env(), dataSources), before);
	recovery.done();

	// A rebuilt server whose machine name did not change finds its old entry holding the name, as the README warns.
	const rebuiltA = makeServer(`${base}/rebuilt`, 'A');
	t.true(readme.includes('A rebuilt server whose machine name did not change'), 'the README says what a rebuilt server meets');
	const sameName = await runCli(['init', '--name', 'SSRS'], {env: {...serverEnvironment(rebuiltA), RSCM_CATALOG: catalog}});
	t.is(sameName.code, 1);
	t.regex(sameName.stderr, /SERVERA\\SSRS is already the name of instance .*\[INVALID_INPUT\]/);
	t.regex(sameName.stderr, /such as SSRS2 \(rscm init --name SSRS2\)/);
});

postgresTest.serial('Moving up from SQLite: catalog copy to PostgreSQL, then the same instance, Joined, same catalog id', async t => {
	const base = await tempDirectory(t, 'rw-');
	const catalog = postgresLocation(t);
	const server = makeServer(base, 'A');
	// The server as `rscm init` left it on the default catalog, ~/.local/share/rscm/catalog.db.
	t.is((await runCli(['init'], {env: serverEnvironment(server)})).code, 0);
	const dataSources = await importDataSources(t, serverEnvironment(server), 3);
	const before = await revealAll(t, serverEnvironment(server), dataSources);
	const sqlite = await statusOf(serverEnvironment(server));
	t.is(sqlite.catalog.location, path.join(server.home, '.local', 'share', 'rscm', 'catalog.db'));

	const shell = replay(t, shellBlock('Scale-out deployment #3'), {A: server}, 'A');
	shell.substitute(/--to '(postgres:[^']+)'/.exec(readme.slice(readme.indexOf('**Moving up from SQLite.**')))![1]!, catalog);
	const copy = await shell.run('rscm --catalog ~/.local/share/rscm/catalog.db catalog copy --to');
	t.is(copy.code, 0, copy.output);
	t.is((await shell.run('export RSCM_CATALOG=')).code, 0);
	const status = await shell.run('rscm status');
	t.true(status.notes.includes('the same instance, Joined, same catalog id'));
	t.is(status.code, 0, status.output);
	t.regex(status.output, /Key status: +Joined/);
	const copied = await statusOf(shell.env());
	t.is(copied.catalog.kind, 'postgres');
	t.is(copied.installationId, sqlite.installationId);
	t.is(copied.catalog.catalogId, sqlite.catalog.catalogId);
	t.deepEqual(await revealAll(t, shell.env(), dataSources), before);
	shell.done();
});

test.serial('Install: shell completion loaded as the README says, in bash and in zsh', async t => {
	const block = shellBlock('Install #2');
	const base = await tempDirectory(t, 'rw-');
	const server = makeServer(base, 'A');
	// rscm on the PATH, as `npm install -g` puts it there.
	const bin = path.join(base, 'bin');
	mkdirSync(bin);
	writeFileSync(path.join(bin, 'rscm'), `#!/bin/sh\nexec '${process.execPath}' '${cliPath}' "$@"\n`, {mode: 0o755});
	const env = {...process.env, HOME: server.home, PATH: `${bin}:${process.env['PATH'] ?? ''}`, ZDOTDIR: server.home};
	const [bash, zsh] = block.lines.filter(line => line.command !== undefined);
	t.true(bash!.comment.startsWith('bash: in ~/.bashrc'));
	const bashRun = spawnSync('bash', ['--norc', '-c', `${bash!.command!}\ncomplete -p rscm`], {env, encoding: 'utf8'});
	t.is(bashRun.status, 0, bashRun.stderr);
	t.regex(bashRun.stdout, /^complete .* rscm$/m);

	// The zsh line, then what its comment says to put in ~/.zshrc before compinit.
	const zshrc = /and `(fpath=[^`]+)` in ~\/\.zshrc before compinit/.exec(block.lines.map(line => line.comment).join(' '));
	t.truthy(zshrc, 'the zsh line says what ~/.zshrc needs');
	if (spawnSync('zsh', ['-c', 'true']).status !== 0) {
		t.log('zsh is not installed: its line was not replayed');
		return;
	}

	const zshRun = spawnSync('zsh', ['-f', '-c', `${zsh!.command!}\n${zshrc![1]!}\nautoload -Uz compinit && compinit -u\nprint -r -- $_comps[rscm]`], {env, encoding: 'utf8'});
	t.is(zshRun.status, 0, zshRun.stderr);
	t.is(zshRun.stdout.trim(), '_rscm');
});

// ---------------------------------------------------------------------------------------------------------------
// rskeymgmt, and the SSRS names

test.serial('rskeymgmt: each row of its table runs the rscm command shown', async t => {
	const rows = tableAfter('### rskeymgmt');
	const base = await tempDirectory(t, 'rw-');
	const catalog = path.join(base, 'catalog.db');
	const a = makeServer(base, 'A');
	const env = (server: Server) => ({...serverEnvironment(server), RSCM_CATALOG: catalog});
	t.is((await runCli(['init', '--name', 'SSRS'], {env: env(a)})).code, 0);
	const file = path.join(base, 'rskey.snk');
	const waiting = async (name: string) => {
		const server = makeServer(base, name);
		const init = await runCli(['init', '--name', 'SSRS', '--json'], {env: env(server)});
		t.is(init.code, 0, init.stderr);
		return {server, id: (await statusOf(env(server))).installationId};
	};

	const restoreOn = await waiting('R');
	const joinee = await waiting('J');
	const removed = await waiting('X');
	// Each row in an order that leaves the state the next one needs; the placeholders as the table names them.
	const cases: Array<{rskeymgmt: string; server: Server; values: Record<string, string>; stdin?: string; then: () => Promise<void>}> = [
		{
			rskeymgmt: 'rskeymgmt -e -f FILE -p -',
			server: a,
			values: {FILE: file},
			stdin: `${password}\n`,
			async then() {
				t.is(fileMode(file), 0o600);
			},
		},
		{
			rskeymgmt: 'rskeymgmt -a -f FILE -p -',
			server: restoreOn.server,
			values: {FILE: file},
			stdin: `${password}\n`,
			async then() {
				t.is((await statusOf(env(restoreOn.server))).status, 'joined');
			},
		},
		{
			rskeymgmt: 'rskeymgmt -j -m MACHINE -n INSTANCE [-y]',
			server: a,
			values: {MACHINE: 'SERVERJ', INSTANCE: 'SSRS', ID: joinee.id},
			async then() {
				t.is((await statusOf(env(joinee.server))).status, 'unconfirmed');
			},
		},
		{
			rskeymgmt: 'rskeymgmt -l',
			server: a,
			values: {},
			async then() {
				t.regex((await runCli(['-l'], {bin: 'rskeymgmt', env: env(a)})).stdout, new RegExp(`SERVERX +SSRS +Waiting to Join +${removed.id}`));
			},
		},
		{
			rskeymgmt: 'rskeymgmt -s [-y]',
			server: a,
			values: {},
			async then() {
				t.is((await statusOf(env(a))).primaryKey.version, 2);
			},
		},
		{
			rskeymgmt: 'rskeymgmt -r ID [-y]',
			server: a,
			values: {ID: removed.id},
			async then() {
				t.false((await runCli(['instance', 'list'], {env: env(a)})).stdout.includes(removed.id));
			},
		},
		{
			rskeymgmt: 'rskeymgmt -d [-y]',
			server: a,
			values: {},
			async then() {
				const status = parseJson<Status & {keyVersions: unknown[]}>(await runCli(['status', '--json'], {env: env(a)}));
				t.is(status.keyVersions.length, 1, 'every key dropped, one new key');
				t.is(status.status, 'joined');
			},
		},
	];
	const tableRows = rows.filter(row => row[0]!.startsWith('`rskeymgmt'));
	t.deepEqual(tableRows.map(row => row[0]!.replaceAll('`', '')).sort(), cases.map(entry => entry.rskeymgmt).sort(), 'a row was added or changed: replay it here');
	for (const entry of cases) {
		const row = tableRows.find(candidate => candidate[0]!.replaceAll('`', '') === entry.rskeymgmt)!;
		const fill = (text: string) => Object.entries(entry.values).reduce((line, [name, value]) => line.replaceAll(name, value), text.replaceAll(/\[(-[-\w]+)\]/g, '$1'));
		const argv = words(fill(entry.rskeymgmt), a.home).slice(1);
		const result = await runCli([...argv, '-t'], {bin: 'rskeymgmt', env: env(entry.server), stdin: entry.stdin});
		t.is(result.code, 0, `${entry.rskeymgmt}: ${result.stderr}`);
		const rscm = /`(rscm [^`]+)`/.exec(row[1]!)![1]!;
		t.regex(result.stderr, new RegExp(`^trace: ${fill(rscm).replaceAll(/[.*+?^${}()|[\]\\]/g, '\\$&')}`, 'm'), entry.rskeymgmt);
		await entry.then();
	}

	t.true(readme.includes('After `-j`, the server that was added confirms its key with `rscm key accept`'));
});

test('Coming from SSRS: every rscm command and rskeymgmt flag the table names exists', async t => {
	const rows = tableAfter('## Coming from SSRS');
	t.true(rows.length >= 8);
	const commands = new Set<string>();
	const flags = new Set<string>();
	for (const [ssrs, rscm] of rows) {
		for (const flag of ssrs!.matchAll(/`rskeymgmt (-\w)`|, `(-\w)`/g)) flags.add(flag[1] ?? flag[2]!);
		for (const named of rscm!.matchAll(/`rscm ([a-z][\w-]*(?: [a-z][\w/-]*)?)/g)) {
			const [group, sub] = named[1]!.split(' ');
			for (const each of sub?.split('/') ?? [undefined]) commands.add([group, each].filter(Boolean).join(' '));
		}
	}

	t.true(commands.has('key backup') && commands.has('instance add') && commands.has('init'), [...commands].join(', '));
	for (const command of commands) {
		const help = await runCli([...command.split(' '), '--help']);
		t.is(help.code, 0, `rscm ${command} --help: ${help.stderr}`);
	}

	const usage = await runCli(['-?'], {bin: 'rskeymgmt'});
	t.true(flags.size >= 7, [...flags].join(' '));
	for (const flag of flags) t.regex(usage.stdout + usage.stderr, new RegExp(`rskeymgmt ${flag}\\b`), flag);
});
