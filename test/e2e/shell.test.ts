// The shell in a real pseudo-terminal: a test-only entry (test/fixtures/ui-shell-entry.tsx, fixture pages) is bundled
// with scripts/build.js's own options and plugins (scripts/bundle-options.js) and driven through node-pty + a headless
// xterm.
import {readFileSync} from 'node:fs';
import path from 'node:path';
import process from 'node:process';
import {fileURLToPath} from 'node:url';
import test, {type ExecutionContext} from 'ava';
import {build} from 'esbuild';
import {bundleOptions} from '../../scripts/bundle-options.js';
import {spawnTerm, type Term, type TermOptions} from '../helpers/term.ts';
import {fileTempDirectory} from '../helpers/temp-dir.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
// Inside the checkout, as dist/ is: the bundle's external packages (better-sqlite3, pg) resolve from node_modules.
const outdir = fileTempDirectory(test, 'rscm-e2e-shell-', path.join(root, 'node_modules', '.cache'));
const entry = path.join(outdir, 'ui-shell-entry.js');

test.before(async () => {
	await build({...bundleOptions, entryPoints: [path.join(root, 'test/fixtures/ui-shell-entry.tsx')], outdir});
});


async function start(t: ExecutionContext, options: TermOptions = {}): Promise<Term> {
	const term = spawnTerm(process.execPath, [entry], options);
	t.teardown(() => term.dispose());
	await term.waitForText('Report Server Configuration Manager — SRV01\\RSCM');
	return term;
}

// Left the alternate screen, then showed the cursor, and wrote nothing after (Ink's exit hook may repeat the
// cursor-show, which is harmless).
// eslint-disable-next-line no-control-regex
const restoredTail = /\u001B\[\?1049l(?:\u001B\[\?25h)+$/;

// eslint-disable-next-line no-control-regex
const colourCodes = /\u001B\[(?:[\d;]*;)?(?:3\d|9\d|4\d|10\d)(?:;[\d;]*)?m|38;5;|38;2;|48;5;|48;2;/;

test.serial('shows title, page list, first page, Results and the key hints at 80×24', async t => {
	const term = await start(t);
	await term.waitForText('Fixture status page');
	const lines = term.screen().split('\n');
	t.is(lines.length, 24);
	t.true(lines[0]!.startsWith('Report Server Configuration Manager — SRV01\\RSCM'));
	t.regex(term.screen(), /› 1 Report Server Status/);
	t.regex(term.screen(), / {2}2 Service Account/);
	t.regex(term.screen(), / {2}8 Encryption Keys/);
	t.regex(term.screen(), /Results/);
	t.regex(lines[22]!, /↑↓ move .*q quit/);
	// The frame is one line shorter than the terminal, so Ink never clears the screen to redraw.
	t.is(lines[23], '');
	// eslint-disable-next-line no-control-regex
	t.notRegex(term.rawOutput(), /\u001B\[2J/);
});

test.serial('moving in the list shows each page at once; digits jump; Enter and Esc move the focus', async t => {
	const term = await start(t);
	await term.press('down');
	await term.waitForText('Account:');
	await term.press('8');
	await term.waitForText('[ Change ]');
	await term.press('k');
	await term.waitForText('Account:');
	await term.press('1');
	await term.waitForText('Fixture status page');
	await term.press('2', 'enter');
	await term.waitForText('Tab next');
	await term.waitForText('›Account:');
	await term.press('esc');
	await term.waitForText('↑↓ move');
	// Back on the list: its hints, and the page it left still shown.
	t.regex(term.screen(), /↑↓ move {2}1-0 jump/);
	t.true(term.screen().includes('Account:'));
});

test.serial('typing in a page: the masked password never reaches the screen; Apply reports to Results', async t => {
	const term = await start(t, {env: {RSCM_FIXTURE_PAGE: 'service-account'}});
	await term.press('enter');
	await term.waitForText('›Account:');
	term.type('alice');
	await term.waitForText('[alice');
	await term.press('tab');
	await term.waitForText('›Password:');
	term.type('Tr0ub4dor&3xyz');
	await term.waitForText('[**************');
	await term.press('tab', 'tab', 'tab', 'tab');
	await term.press('enter');
	await term.waitForText('✔ Applied account alice (password set)');
	t.false(term.rawOutput().includes('Tr0ub4dor'));
	t.false(term.screen().includes('Tr0ub4dor'));
});

test.serial('? opens the help overlay from the table; Esc closes it', async t => {
	const term = await start(t);
	await term.press('?');
	// The footer shows the dialog keys once the overlay is the top modal layer.
	await term.waitForText('Esc cancel');
	t.regex(term.screen(), /Help — keys/);
	t.regex(term.screen(), /Page list/);
	t.regex(term.screen(), /Inside a page/);
	// At 80×24 the rest is below the fold, and the last row says so; ↓ scrolls to it.
	t.regex(term.screen(), /↓ \d+ more lines \(↓ scrolls\)/);
	t.notRegex(term.screen(), /Ctrl\+C {10}Quit from anywhere/);
	await term.press('down', 'down', 'down', 'down', 'down', 'down', 'down', 'down', 'down', 'down');
	await term.waitForText(/Ctrl\+C {10}Quit from anywhere/);
	await term.press('esc');
	await term.waitForNoText('Help — keys');
	await term.waitForText('Fixture status page');
	t.false(term.screen().includes('Help — keys'));
});

test.serial('follows resizes: larger, too small, and back', async t => {
	const term = await start(t);
	term.resize(100, 30);
	// The frame redrawn at 100×30, top to bottom: the page area grows with the terminal.
	await term.waitForText(/^┏━{25}┓┌─ Report Server Status ─+┐$[\s\S]*Area 69×19[\s\S]*^↑↓ move/m);
	let lines = term.screen().split('\n');
	t.is(lines.length, 30);
	t.true(lines[28]!.startsWith('↑↓ move'));
	t.is(lines[1]!.length, 100);
	term.resize(79, 23);
	await term.waitForText(/Terminal too small\s+The terminal is 79×23; the Configuration Manager needs at least 80×24/);
	term.resize(80, 24);
	await term.waitForText(/^Report Server Configuration Manager[\s\S]*Area 49×14[\s\S]*^↑↓ move/m);
	await term.waitForNoText('Terminal too small');
	lines = term.screen().split('\n');
	t.true(lines[22]!.startsWith('↑↓ move'));
});

test.serial('NO_COLOR=1 emits no colour codes, only attributes', async t => {
	const term = await start(t, {env: {NO_COLOR: '1'}});
	await term.press('down', 'enter');
	await term.waitForText('›Account:');
	await term.press('tab', 'tab', 'tab', 'tab', 'tab', 'enter');
	await term.waitForText('✔ Applied account');
	// Each Esc waits for its effect before the next key: an Esc and a letter read together are Alt+letter.
	await term.press('esc');
	await term.waitForText('1-0 jump');
	await term.press('?');
	await term.waitForText('Help — keys');
	await term.press('esc');
	await term.waitForNoText('Help — keys');
	await term.press('q');
	await term.exit;
	t.notRegex(term.rawOutput(), colourCodes);
	// Selection and focus still show: inverse is an attribute, not a colour.
	t.true(term.rawOutput().includes('\u001B[7m'));
});

test.serial('without NO_COLOR the same screens are coloured (the check above can fail)', async t => {
	const term = await start(t);
	await term.press('q');
	await term.exit;
	t.regex(term.rawOutput(), colourCodes);
});

test.serial('q restores the terminal and exits 0', async t => {
	const term = await start(t);
	await term.press('q');
	const exit = await term.exit;
	t.is(exit.exitCode, 0);
	t.true(term.rawOutput().startsWith('\u001B[?1049h'));
	t.regex(term.rawOutput(), restoredTail);
});

test.serial('Ctrl+C waits for the running operation to stop after its batch, then restores', async t => {
	const marker = path.join(outdir, 'ctrl-c-marker');
	const term = await start(t, {env: {RSCM_FIXTURE_PAGE: 'encryption-keys', RSCM_FIXTURE_MARKER: marker}});
	await term.press('enter');
	await term.waitForText('Tab next');
	await term.press('enter');
	await term.waitForText('Change Encryption Key');
	await term.press('shiftTab');
	await term.press('enter');
	await term.waitForText('Re-encrypting');
	await term.press('ctrlC');
	const exit = await term.exit;
	t.is(exit.exitCode, 0);
	t.regex(term.rawOutput(), restoredTail);
	t.regex(readFileSync(marker, 'utf8'), /^stopped at \d+/);
});

test.serial('Ctrl+C from a dialog quits too', async t => {
	const term = await start(t, {env: {RSCM_FIXTURE_PAGE: 'encryption-keys'}});
	await term.press('enter');
	await term.waitForText('Tab next');
	await term.press('tab', 'enter');
	await term.waitForText('Type DELETE to confirm');
	await term.press('ctrlC');
	await term.exit;
	t.regex(term.rawOutput(), restoredTail);
});

for (const signal of ['SIGHUP', 'SIGTERM'] as const) {
	test.serial(`${signal} restores the terminal and exits`, async t => {
		const term = await start(t);
		await term.waitForText('↑↓ move');
		term.kill(signal);
		const exit = await term.exit;
		t.is(exit.exitCode, signal === 'SIGHUP' ? 129 : 143);
		t.regex(term.rawOutput(), restoredTail);
	});
}

for (const [button, message] of [
	['Crash', 'Fixture crash'],
	['Reject', 'Fixture rejection'],
] as const) {
	test.serial(`an uncaught error (${button}) restores the screen, then prints the error and exits 1`, async t => {
		const term = await start(t, {env: {RSCM_FIXTURE_PAGE: 'encryption-keys'}});
		await term.press('enter');
		await term.waitForText('Tab next');
		await term.press('tab', 'tab');
		if (button === 'Reject') await term.press('tab');
		await term.press('enter');
		const exit = await term.exit;
		t.is(exit.exitCode, 1);
		const output = term.rawOutput();
		const restoredAt = output.lastIndexOf('\u001B[?1049l\u001B[?25h');
		t.true(restoredAt > 0);
		t.true(output.indexOf(message, restoredAt) > restoredAt);
		// One line with the code and the hint, as the commands print a bug; the stack only with RSCM_DEBUG=1.
		const after = output.slice(restoredAt);
		t.regex(after, new RegExp(`rscm: Unexpected error: ${message} \\[INTERNAL\\]\r\nThis is a bug in rscm: please report it`));
		t.notRegex(after, /^\s+at /m);
	});
}
