// Page and dialog open times of `npm run bench` (issue 15): the built rscm in an 80×24 pseudo-terminal on a catalog
// of many values, every page of the navigation list and every dialog opened in turn. Each time runs from writing
// the key that opens it to the chunk after which the screen (a headless xterm, parsed after every chunk the
// program writes) shows that page's or dialog's content complete: a marker text only the finished content has
// (counts, rows, buttons), never just a title. Before each key the program has been quiet for a moment, as a person
// reads before pressing the next key. The last steps run Delete Encrypted Content (not timed: one long
// transaction) and time its re-entry list, the Data Sources page it offers, with every row needing re-entry.
import {spawn} from 'node:child_process';
import {cp, mkdir, rm} from 'node:fs/promises';
import path from 'node:path';
import {performance} from 'node:perf_hooks';
import process from 'node:process';
import {setTimeout as sleep} from 'node:timers/promises';
import xterm from '@xterm/headless';
import * as pty from 'node-pty';
import {ptyEnvironment, screenText} from './pty.ts';
import {rscmFrameComplete} from './startup.ts';

export type PagesOptions = {
	root: string;
	/** A private directory for the catalogs (removed by the caller). */
	directory: string;
	/** Values in the measured catalog, and in the baseline's. */
	values: number;
	baselineValues: number;
	runs: number;
	log: (message: string) => void;
};

/** Open time of each page and dialog in ms, by name, in the order they were opened. */
export type PageTimes = Array<{name: string; ms: number}>;

export type PagesResult = {
	values: number;
	baselineValues: number;
	/** One list per run, alternated: measured catalog, then baseline. */
	measured: PageTimes[];
	baseline: PageTimes[];
	/** The page or dialog with the longest median open time on the measured catalog, and its medians. */
	slowest: {name: string; ms: number; baselineMs: number};
};

/** How long the program must have written nothing before the next key: a person's pause, and the last render done. */
const quietMs = 250;

const escape = '\u001B';
const keys = {enter: '\r', escape, down: `${escape}[B`, tab: '\t'};

type Terminal = {
	/** Writes `key` and resolves with the ms until the chunk after which `done(screen)` holds. */
	time: (key: string, done: (screen: string) => boolean, timeoutMs?: number) => Promise<number>;
	/** Writes `key` (untimed) and waits until `done(screen)` holds and the program is quiet. */
	press: (key: string, done: (screen: string) => boolean, timeoutMs?: number) => Promise<void>;
	quiet: () => Promise<void>;
	screen: () => string;
	close: () => void;
};

function open(command: string, args: string[], cwd: string, env: Record<string, string>): Terminal {
	const terminal = new xterm.Terminal({cols: 80, rows: 24, allowProposedApi: true, scrollback: 0});
	const child = pty.spawn(command, args, {name: 'xterm-256color', cols: 80, rows: 24, cwd, env: ptyEnvironment(env)});
	const screen = () => screenText(terminal);

	let lastOutput = performance.now();
	let waiter: {done: (screen: string) => boolean; resolve: (at: number) => void} | undefined;
	child.onData(data => {
		const at = performance.now();
		lastOutput = at;
		terminal.write(data, () => {
			if (waiter?.done(screen())) {
				waiter.resolve(at);
				waiter = undefined;
			}
		});
	});
	terminal.onData(data => child.write(data));
	const until = async (done: (screen: string) => boolean, timeoutMs: number) => {
		if (done(screen())) return performance.now();
		return new Promise<number>((resolve, reject) => {
			const timer = setTimeout(() => {
				waiter = undefined;
				reject(new Error(`no such screen within ${timeoutMs} ms:\n${screen()}`));
			}, timeoutMs);
			waiter = {
				done,
				resolve(at) {
					clearTimeout(timer);
					resolve(at);
				},
			};
		});
	};

	const quiet = async () => {
		while (performance.now() - lastOutput < quietMs) await sleep(quietMs - (performance.now() - lastOutput) + 5);
	};

	return {
		async time(key, done, timeoutMs = 20_000) {
			await quiet();
			const sent = performance.now();
			// The marker must not be on the screen already: the key has to draw it.
			if (done(screen())) throw new Error(`the marker is on the screen before the key:\n${screen()}`);
			child.write(key);
			return (await until(done, timeoutMs)) - sent;
		},
		async press(key, done, timeoutMs = 20_000) {
			await quiet();
			const sent = performance.now();
			child.write(key);
			await until(done, timeoutMs).catch((error: unknown) => {
				throw new Error(`after the key ${JSON.stringify(key)}: ${(error as Error).message}`);
			});
			// What the key draws, if anything, comes within a moment: wait for it before the screen is read again.
			while (lastOutput < sent && performance.now() - sent < 1000) await sleep(10);
			await quiet();
		},
		quiet,
		screen,
		close() {
			child.kill('SIGKILL');
			terminal.dispose();
		},
	};
}

const all =
	(...parts: Array<string | RegExp>) =>
	(screen: string) =>
		parts.every(part => (typeof part === 'string' ? screen.includes(part) : part.test(screen)));

/** The list has the focus (its hint line), and no dialog or page has it. */
const onList = all('Enter open', 'q quit');
/** The focus is inside a page: the hint line says how to go back. */
const inPage = all('Esc back');

/** The pages in list order, each with the key that shows it from the list and its content complete. */
const pageSteps: Array<{name: string; key: string; complete: (screen: string) => boolean}> = [
	{name: '2 Service Account', key: '2', complete: all('Identity created', '[ Change ]')},
	{name: '3 Web Service URL', key: '3', complete: all('URLs: http', '/ReportServer', '[ Apply ]')},
	{name: '4 Database', key: '4', complete: all('Catalog id:', 'Created:', '[ Copy Catalog ]')},
	{name: '5 Web Portal URL', key: '5', complete: all('Web Portal URL ─', '/Reports ', '[ Apply ]')},
	{name: '6 E-mail Settings', key: '6', complete: all('Sender Address', 'Report server service account', '[ Apply ]')},
	{name: '7 Execution Account', key: '7', complete: all('Specify an execution account', '[ Apply ]')},
	{name: '8 Encryption Keys', key: '8', complete: all(/Key [\da-f-]+ · version/, '[ Delete ]', 'create a new symmetric key')},
	{name: '9 Subscription Settings', key: '9', complete: all('Specify a file share account', '[ Apply ]')},
	{name: '10 Scale-out Deployment', key: '0', complete: all('Joined (this)', '[ Remove Server ]')},
	{name: 'Data Sources', key: keys.down, complete: all(/[\d,]+ data sources/, 'DS-0000011', 'needs re-entry')},
	{name: '1 Report Server Status', key: '1', complete: all('Report Server Status ─', 'Encrypted', 'Re-entry', 'Scale-out')},
];

/** Every page and dialog opened once in a fresh rscm on the catalog in `deployment` (Delete erases it). */
async function openEverything(root: string, deployment: string): Promise<PageTimes> {
	const cwd = path.join(deployment, 'cwd');
	await mkdir(cwd, {recursive: true, mode: 0o700});
	const rscm = open(process.execPath, [`${root}/dist/cli.js`], cwd, {
		RSCM_CATALOG: path.join(deployment, 'catalog.db'),
		RSCM_INSTANCE_DIR: path.join(deployment, 'instance'),
	});
	const times: PageTimes = [];
	const time = async (name: string, key: string, complete: (screen: string) => boolean) => {
		try {
			times.push({name, ms: await rscm.time(key, complete)});
		} catch (error) {
			throw new Error(`${name}: ${(error as Error).message}`);
		}
	};

	/** From the list: show page `key`, enter it (`Enter`), and be inside it. */
	const enter = async (key: string, shown: (screen: string) => boolean) => {
		await rscm.press(key, shown);
		await rscm.press(keys.enter, inPage);
	};

	/** Presses `key` until the screen shows `focused` (a few times at most): the focus kept from an earlier visit. */
	const focusWith = async (key: string, focused: string | RegExp) => {
		const shown = all(focused);
		for (let press = 0; press < 6 && !shown(rscm.screen()); press++) await rscm.press(key, () => true);
		if (!shown(rscm.screen())) throw new Error(`${String(focused)} not reached with ${JSON.stringify(key)}:\n${rscm.screen()}`);
	};

	/** Esc out of a dialog, back to the page it was opened from. */
	const closeDialog = async () => rscm.press(keys.escape, inPage);
	try {
		await rscm.press('', rscmFrameComplete, 30_000);
		// Every page once, untimed: the code of each is loaded (the shell preloads them after the first frame anyway).
		for (const step of pageSteps) await rscm.press(step.key, step.complete);
		for (const step of pageSteps) await time(step.name, step.key, step.complete);

		// Encryption Keys: Backup has the focus on entering; ↓ walks to Restore, Change and Delete.
		await enter('8', pageSteps[6]!.complete);
		await time('Backup dialog', keys.enter, all('Backup Encryption Key', 'Confirm Password', '15 or more characters', '[ OK ]'));
		await closeDialog();
		await rscm.press(keys.down, all('[>Restore<]'));
		await time('Restore dialog', keys.enter, all('Restore Encryption Key', 'File Location', 'Password:', '[ OK ]'));
		await closeDialog();
		await rscm.press(keys.down, all('[>Change<]'));
		await time('Change dialog', keys.enter, all('Change Encryption Key', 'encrypted values.', 'Continue?'));
		await closeDialog();
		await rscm.press(keys.down, all('[>Delete<]'));
		await time('Delete dialog', keys.enter, all('To re-enter:', 'more.', 'Type DELETE to confirm'));
		await closeDialog();
		await rscm.press(keys.escape, onList);

		// Database: Change Database has the focus on entering.
		await enter('4', pageSteps[2]!.complete);
		await time('Change Database wizard', keys.enter, all('1 of 3: Action', 'Create a new report server database', '[ Next ]'));
		await closeDialog();
		await rscm.press(keys.down, all('[>Copy Catalog<]'));
		await time('Copy Catalog dialog', keys.enter, all('Copy Catalog', 'Copy to:', '[ Test Connection ]'));
		await closeDialog();
		await rscm.press(keys.escape, onList);

		// Service Account: Change first asks for a key backup (the Backup dialog with its own first line).
		await enter('2', pageSteps[0]!.complete);
		await time('Service Account Change', keys.enter, all('Back up the key first', 'Confirm Password', '[ OK ]'));
		await closeDialog();
		await rscm.press(keys.escape, onList);

		// Scale-out: a row has the focus on entering; Enter on the waiting server's row is Add Server; Remove Server is
		// a button after the rows, for the row visited last (the waiting one).
		await enter('0', pageSteps[8]!.complete);
		await focusWith(keys.down, /› NODE2 /);
		await time('Add Server dialog', keys.enter, all('Add Server', 'Identity fingerprint:', '[ Add ]'));
		await closeDialog();
		await focusWith(keys.tab, '[>Remove Server<]');
		await time('Remove Server dialog', keys.enter, all('Remove Server', 'Its copy of the key is deleted', '[ Remove ]'));
		await closeDialog();
		await rscm.press(keys.escape, onList);

		// Data Sources: the first row is selected; Enter edits it, n makes a new one, x removes, / filters.
		await rscm.press('0', pageSteps[8]!.complete);
		await enter(keys.down, pageSteps[9]!.complete);
		await time('Edit Data Source dialog', keys.enter, all('Edit Data Source', 'DS-0000000', '[ OK ]'));
		await closeDialog();
		await time('New Data Source dialog', 'n', all('New Data Source', 'Empty fields stay unset', '[ OK ]'));
		await closeDialog();
		await time('Remove Data Source dialog', 'x', all('Remove Data Source', 'DS-0000000', '[ Remove ]'));
		await closeDialog();
		await rscm.press('/', all('Filter:'));
		await time('Data Sources filter, one key', '7', all(/[\d,]+ match/, '7'));
		await rscm.press('\u007F', all(/[\d,]+ data sources/, 'DS-0000011'));
		await rscm.press(keys.escape, onList);
		await time('Help overlay', '?', all('Help — keys', 'Page list', 'Inside a page'));
		await rscm.press('?', onList);

		// A key change's progress dialog, then Esc stops it after its batch (a small catalog may finish first: its offer
		// to back up the new key is closed with Esc too). Change becomes Resume.
		await enter('8', pageSteps[6]!.complete);
		await focusWith(keys.down, '[>Change<]');
		await rscm.press(keys.enter, all('Continue?'));
		await focusWith(keys.tab, '[>Change<]');
		await time('Change progress dialog', keys.enter, all(/Re-encrypting: version \d+ → \d+/, /\d[\d,]*\/[\d,]+ +\d+%/, 'Esc or Ctrl+C stops'));
		await rscm.press(keys.escape, screen => inPage(screen) || screen.includes('Back up the new key now?'), 120_000);
		if (rscm.screen().includes('Back up the new key now?')) await closeDialog();

		// Delete Encrypted Content, then its re-entry list: DELETE typed, Enter moves to Delete, Enter runs it.
		// The page kept its focus from the visit before: ↓ until Delete has it.
		await focusWith(keys.down, '[>Delete<]');
		await rscm.press(keys.enter, all('Type DELETE to confirm', 'To re-enter:'));
		for (const character of 'DELETE') await rscm.press(character, () => true);
		await rscm.press(keys.enter, all('[>Delete<]'));
		await rscm.press(keys.enter, all('Open Data Sources now?'), 300_000);
		await time('Delete re-entry list (Data Sources)', keys.enter, all(/[\d,]+ data sources/, 'DS-0000011', 'pass ! re-entry'));
	} finally {
		rscm.close();
	}

	return times;
}

/** bench/child.ts `load`: a catalog of `values` values with one joined instance, in `deployment` (not measured). */
async function load(root: string, deployment: string, values: number): Promise<void> {
	await mkdir(deployment, {recursive: true, mode: 0o700});
	const child = spawn(
		process.execPath,
		[
			'--import',
			'tsx',
			path.join(root, 'bench/child.ts'),
			'load',
			path.join(deployment, 'catalog.db'),
			path.join(deployment, 'instance'),
			String(values),
			// A second server waiting to join: the Add Server dialog has a row to open on.
			path.join(deployment, 'instance-waiting'),
		],
		{cwd: root, stdio: ['ignore', 'ignore', 'pipe'], env: {...process.env, NODE_ENV: 'production'}},
	);
	let stderr = '';
	child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
		stderr += chunk;
	});
	const code = await new Promise<number | null>(resolve => child.on('close', resolve));
	if (code !== 0) throw new Error(`bench/child.ts load ${values} exited ${code}: ${stderr}`);
}

function median(values: number[]): number {
	const sorted = [...values].sort((a, b) => a - b);
	const middle = Math.floor(sorted.length / 2);
	return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

function medians(runs: PageTimes[]): Map<string, number> {
	const names = runs[0]!.map(entry => entry.name);
	return new Map(names.map(name => [name, median(runs.map(run => run.find(entry => entry.name === name)!.ms))]));
}

/**
 * Loads both catalogs once, then opens everything `runs` times on each, alternated, each run on a fresh copy of its
 * catalog and instance directory (the last step deletes the encrypted content).
 */
export async function measurePages(options: PagesOptions): Promise<PagesResult> {
	const pristine = {measured: path.join(options.directory, 'pages-measured'), baseline: path.join(options.directory, 'pages-baseline')};
	options.log(`pages: loading ${options.values.toLocaleString('en-US')} and ${options.baselineValues.toLocaleString('en-US')} values into SQLite (not measured)`);
	await load(options.root, pristine.measured, options.values);
	await load(options.root, pristine.baseline, options.baselineValues);
	const result = {measured: [] as PageTimes[], baseline: [] as PageTimes[]};
	for (let run = 0; run < options.runs; run++) {
		for (const side of ['measured', 'baseline'] as const) {
			options.log(`pages run ${run + 1}/${options.runs}: every page and dialog, ${side === 'measured' ? options.values : options.baselineValues} values`);
			const deployment = `${pristine[side]}-run`;
			await rm(deployment, {recursive: true, force: true});
			await cp(pristine[side], deployment, {recursive: true});
			try {
				result[side].push(await openEverything(options.root, deployment));
			} finally {
				await rm(deployment, {recursive: true, force: true});
			}
		}
	}

	const measured = medians(result.measured);
	const baseline = medians(result.baseline);
	for (const [page, ms] of measured) options.log(`  ${page}: ${ms.toFixed(0)} ms (${baseline.get(page)!.toFixed(0)} ms at ${options.baselineValues} values)`);
	const [name, ms] = [...measured].reduce((worst, entry) => (entry[1] > worst[1] ? entry : worst));
	return {values: options.values, baselineValues: options.baselineValues, ...result, slowest: {name, ms, baselineMs: baseline.get(name)!}};
}
