// Access for everyone, in the built program in a real pseudo-terminal: plain ASCII where the terminal cannot show
// UTF-8 (LANG=C, TERM=linux/vt100, --ascii), focus and disabled markers that need no style (TERM=dumb), and Ink's
// screen-reader mode (INK_SCREEN_READER=true, --screen-reader). Needs `npm run build` first (npm test does it).
import process from 'node:process';
import test, {type ExecutionContext} from 'ava';
import {initializedDeployment} from '../helpers/cli-deployment.ts';
import {assertBuilt, cliPath} from '../helpers/run-cli.ts';
import {spawnTerm, type Term} from '../helpers/term.ts';

const password = 'Str0ng!Backup#Pass';

test.before(() => {
	assertBuilt();
});

// The locale and terminal of a UTF-8 xterm, which each test then changes: nothing inherited decides for it.
const utf8Terminal = {LANG: 'C.UTF-8', LC_ALL: undefined, LC_CTYPE: undefined, RSCM_ASCII: undefined, INK_SCREEN_READER: undefined};

async function open(
	t: ExecutionContext,
	args: string[],
	env: Record<string, string | undefined>,
	size: {cols?: number; rows?: number} = {},
): Promise<Term> {
	// A catalog and instance "K" made by the CLI; the manager then opens on the Status page.
	const deployment = await initializedDeployment(t, 'K');
	// node-pty sets TERM from its own option; `env` sets the one the test asks for, as a login on that terminal would.
	const {TERM: terminal = 'xterm-256color', ...rest} = env;
	const term = spawnTerm('/usr/bin/env', [`TERM=${terminal}`, process.execPath, cliPath, ...args], {
		cwd: deployment.root,
		env: {...deployment.env(), ...utf8Terminal, ...rest},
		...size,
	});
	t.teardown(() => term.dispose());
	return term;
}

// eslint-disable-next-line no-control-regex
const beyondAscii = /[^\u0000-\u007F]/;

/** Back to the page list, then `q`: apart, since an Esc and a letter read together are Alt+letter. */
async function quit(t: ExecutionContext, term: Term): Promise<void> {
	// Esc only when the focus is in a page, and q only once the list's hints show it was taken: an Esc and a q that
	// reach the program in one read (a loaded machine) are Alt+q, which quits nothing.
	if (!term.screen().includes('1-0 jump')) {
		await term.press('esc');
		await term.waitForText('1-0 jump');
	}

	await term.press('q');
	t.is((await term.exit).exitCode, 0);
}

for (const [name, env] of [
	['LANG=C, TERM=vt100', {LANG: 'C', TERM: 'vt100'}],
	['LC_ALL=C over a UTF-8 LANG', {LC_ALL: 'C'}],
	['TERM=linux', {TERM: 'linux'}],
] as const) {
	test.serial(`${name}: the manager draws plain ASCII, not one byte above 0x7F`, async t => {
		const term = await open(t, [], env);
		await term.waitForText('Report Server Configuration Manager - ');
		await term.waitForText('Never - back up the key now');
		const screen = term.screen();
		// The list has the focus first: its border is the heavy one, the Status page's the light one.
		t.regex(screen, /^#=+#\+- Report Server Status -+\+$/m, 'light and heavy (focused) borders differ');
		t.regex(screen, /^#> 1 Report Server Status/m);
		t.regex(screen, /Up\/Down move {2}1-0 jump/);
		// Into Service Account: its one button has the focus, drawn in characters.
		await term.press('down', 'enter');
		await term.waitForText('[>Change<]');
		t.regex(term.screen(), /^\+-+\+#= Service Account =+#$/m);
		await term.press('?');
		await term.waitForText('Help - keys');
		t.regex(term.screen(), /Up \/ k/);
		await term.press('esc');
		await term.waitForNoText('Help - keys');
		await quit(t, term);
		const raw = term.rawOutput();
		t.false(beyondAscii.test(raw), `first non-ASCII: ${JSON.stringify(raw.match(beyondAscii)?.[0])}`);
	});
}

test.serial('--ascii forces ASCII on a UTF-8 terminal; --unicode draws Unicode on a VT100', async t => {
	const ascii = await open(t, ['--ascii'], {});
	await ascii.waitForText('Never - back up the key now');
	await quit(t, ascii);
	t.false(beyondAscii.test(ascii.rawOutput()));

	const unicode = await open(t, ['--unicode'], {TERM: 'vt100'});
	await unicode.waitForText('Never — back up the key now');
	t.regex(unicode.screen(), /┏━+┓┌─ Report Server Status ─+┐/);
	await quit(t, unicode);
});

test.serial('TERM=dumb: no style reaches the terminal, and the focus and disabled buttons still show', async t => {
	const term = await open(t, [], {TERM: 'dumb'});
	await term.waitForText('Never - back up the key now');
	// Encryption Keys: Backup, the first button, has the focus once the page is entered.
	await term.press('8', 'enter');
	await term.waitForText('[>Backup<]');
	t.regex(term.screen(), /\[ Restore \]/);
	// Delete's typed confirmation: its Delete button is disabled until DELETE is typed.
	await term.press('tab', 'tab', 'tab', 'enter');
	await term.waitForText('Type DELETE to confirm');
	t.regex(term.screen(), /\[-Delete-\] {2}\[ Cancel \]/);
	await term.press('esc');
	await term.waitForText('[>Delete<]');
	await quit(t, term);
	// eslint-disable-next-line no-control-regex
	t.notRegex(term.rawOutput(), /\u001B\[(?:\d+;)*(?:1|7)m/, 'no bold or inverse: the markers carry the focus alone');
});

for (const [name, args, env] of [
	['INK_SCREEN_READER=true', [], {INK_SCREEN_READER: 'true'}],
	['--screen-reader', ['--screen-reader'], {}],
] as const) {
	test.serial(`${name}: a linear, labelled reading of the pages and a dialog, never the password`, async t => {
		// Tall enough that the whole reading of a page stays on the screen.
		const term = await open(t, [...args], env, {rows: 60});
		// The list has the focus first, the Status page beside it.
		await term.waitForText('list: (selected, focused) 1 Report Server Status');
		t.regex(term.screen(), /^Report Server Status$/m);
		t.regex(term.screen(), /Last backup +Never — back up the key now/);
		t.regex(term.screen(), /^Keys: Up\/Down move, 1-0 jump, Enter open/m);
		t.notRegex(term.screen(), /[\u2500-\u259F›]/, 'no border or marker is read out');

		await term.press('8', 'enter');
		await term.waitForText('Encryption Keys (focused)');
		await term.waitForText('button: (focused) Backup');
		t.regex(term.screen(), /^\(selected\) 8 Encryption Keys$/m);
		t.regex(term.screen(), /button: Restore/);
		await term.press('enter');
		await term.waitForText(/Dialog: Back ?up Encryption Key \(focused\)/i);
		await term.press(...password);
		await term.waitForText(`textbox: (focused, masked) Password: ${password.length} characters`);
		t.regex(term.screen(), /textbox: \(masked\) Confirm Password: empty/);
		t.notRegex(term.screen(), /[\u2500-\u259F›]/);
		await term.press('esc');
		await term.waitForText('button: (focused) Backup');
		await quit(t, term);
		t.false(term.rawOutput().includes(password));
	});
}
