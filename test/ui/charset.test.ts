import {EventEmitter} from 'node:events';
import {readdirSync, readFileSync} from 'node:fs';
import path from 'node:path';
import {fileURLToPath} from 'node:url';
import test from 'ava';
import {isInteractiveInvocation} from '../../source/commands/invocation.ts';
import {asciiOutput} from '../../source/ui/ascii-output.ts';
import {detectCharset, keyLabelInWords, toAscii} from '../../source/ui/charset.ts';
import {asciiSpinnerFrames, spinnerFrames} from '../../source/ui/components/Spinner.tsx';

const utf8 = {LANG: 'en_US.UTF-8', TERM: 'xterm-256color'};

test('a locale that does not name UTF-8 draws ASCII; LC_ALL, then LC_CTYPE, then LANG decide', t => {
	t.is(detectCharset(utf8), 'unicode');
	t.is(detectCharset({...utf8, LANG: 'C.UTF-8'}), 'unicode');
	t.is(detectCharset({...utf8, LANG: 'de_DE.utf8'}), 'unicode');
	t.is(detectCharset({...utf8, LANG: 'C'}), 'ascii');
	t.is(detectCharset({...utf8, LANG: 'POSIX'}), 'ascii');
	t.is(detectCharset({...utf8, LANG: 'en_US.ISO-8859-1'}), 'ascii');
	t.is(detectCharset({...utf8, LC_ALL: 'C'}), 'ascii', 'LC_ALL wins over a UTF-8 LANG');
	t.is(detectCharset({...utf8, LANG: 'C', LC_ALL: 'en_US.UTF-8'}), 'unicode', 'LC_ALL wins over LANG=C');
	t.is(detectCharset({...utf8, LC_CTYPE: 'C'}), 'ascii', 'LC_CTYPE wins over LANG');
	t.is(detectCharset({...utf8, LANG: 'C', LC_CTYPE: 'C.UTF-8'}), 'unicode');
	t.is(detectCharset({...utf8, LC_ALL: '', LANG: 'C'}), 'ascii', 'an empty LC_ALL does not count');
	// Nothing set at all: what a container or an SSH client that passes no locale gets; rscm draws Unicode there.
	t.is(detectCharset({TERM: 'xterm'}), 'unicode');
});

test('the Linux console, VT100/VT220 and dumb terminals draw ASCII whatever the locale', t => {
	for (const term of ['linux', 'linux-16color', 'vt100', 'vt102', 'vt220', 'dumb']) {
		t.is(detectCharset({...utf8, TERM: term}), 'ascii', term);
	}

	for (const term of ['xterm', 'xterm-256color', 'screen', 'tmux-256color', 'vt100x', 'rxvt-unicode']) {
		t.is(detectCharset({...utf8, TERM: term}), 'unicode', term);
	}
});

test('--ascii and --unicode override, then RSCM_ASCII=1/0, then the locale and TERM', t => {
	t.is(detectCharset(utf8, {ascii: true}), 'ascii');
	t.is(detectCharset({...utf8, TERM: 'linux', LANG: 'C'}, {unicode: true}), 'unicode');
	t.is(detectCharset({...utf8, RSCM_ASCII: '1'}), 'ascii');
	t.is(detectCharset({...utf8, TERM: 'vt100', RSCM_ASCII: '0'}), 'unicode');
	t.is(detectCharset({...utf8, RSCM_ASCII: '0'}, {ascii: true}), 'ascii', 'the option wins over the variable');
});

test('--ascii, --unicode and --screen-reader open the Configuration Manager, alone or with --catalog', t => {
	for (const argv of [['--ascii'], ['--unicode'], ['--screen-reader'], ['--catalog', 'x.db', '--ascii', '--screen-reader']]) {
		t.true(isInteractiveInvocation(argv), argv.join(' '));
	}

	t.false(isInteractiveInvocation(['status', '--ascii']));
});

test('every symbol rscm draws becomes one ASCII character; heavy borders stay distinct from light ones', t => {
	const drawn = '┌─┐│└┘┏━┓┃┗┛›✔✖—–…·→←↑↓•█░×\u00A0';
	const ascii = toAscii(drawn);
	t.is(ascii.length, [...drawn].length);
	t.regex(ascii, /^[\u0020-\u007E]+$/);
	t.false(ascii.includes('?'), `a symbol without its own ASCII form: ${ascii}`);
	t.is(toAscii('┌─ Status ─┐'), '+- Status -+');
	t.is(toAscii('┏━ Status ━┓'), '#= Status =#');
	t.is(toAscii('┃'), '#');
	t.is(toAscii('│'), '|');
	t.is(toAscii('✔ Backed up — done…'), 'v Backed up - done.');
	t.is(toAscii('✖ Failed'), 'x Failed');
	t.is(toAscii('› 1 Report Server Status'), '> 1 Report Server Status');
	t.is(toAscii('[██░░]'), '[##..]');
	t.is(toAscii('80×24'), '80x24');
	t.is(toAscii('plain ASCII [ OK ] stays'), 'plain ASCII [ OK ] stays');
});

test('every symbol in the UI\'s code has an ASCII form (a new one needs its row in charset.ts)', t => {
	const ui = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../source/ui');
	const files = readdirSync(ui, {recursive: true, encoding: 'utf8'}).filter(file => /\.tsx?$/.test(file));
	const symbols = new Set<string>();
	for (const file of files) {
		// Code, not comments: what can reach the screen.
		const code = readFileSync(path.join(ui, file), 'utf8')
			.replaceAll(/\/\*[\s\S]*?\*\//g, '')
			.replaceAll(/\/\/.*$/gm, '');
		for (const character of code) if (character.charCodeAt(0) >= 0x80) symbols.add(character);
	}

	// The spinner draws frames of its own in ASCII.
	for (const frame of spinnerFrames) symbols.delete(frame);
	// The table itself lists the symbols; make sure the scan saw the UI's code and not only charset.ts.
	t.true(symbols.has('›') && symbols.has('…'));
	const missing = [...symbols].filter(symbol => toAscii(symbol) === '?' || toAscii(symbol) === '');
	t.deepEqual(missing, []);
});

test('text from users or the catalog that ASCII cannot show is one ? per character, never a look-alike', t => {
	t.is(toAscii('Zürich'), 'Z?rich');
	// The same name typed with a combining mark reads the same.
	t.is(toAscii('Zu\u0308rich'), 'Z?rich');
	t.is(toAscii('日本'), '??');
	t.is(toAscii('a\u200Db'), 'ab', 'a zero-width joiner takes no column');
	t.regex(toAscii(spinnerFrames.join('')), /^\?+$/);
	t.true(asciiSpinnerFrames.every(frame => /^[\u0020-\u007E]$/.test(frame)));
});

test('arrows in key labels read as words', t => {
	t.is(keyLabelInWords('↑↓'), 'Up/Down');
	t.is(keyLabelInWords('↑ / k'), 'Up / k');
	t.is(keyLabelInWords('Enter / → / Tab'), 'Enter / Right / Tab');
	t.is(keyLabelInWords('Esc / ←'), 'Esc / Left');
	t.is(keyLabelInWords('Shift+Tab / ↑'), 'Shift+Tab / Up');
	t.is(keyLabelInWords('q'), 'q');
});

class FakeTerminal extends EventEmitter {
	columns = 80;
	rows = 24;
	isTTY = true;
	fd = 99;
	written: string[] = [];
	write(chunk: string, ...rest: unknown[]): boolean {
		this.written.push(chunk);
		const callback = rest.find(argument => typeof argument === 'function') as (() => void) | undefined;
		callback?.();
		return true;
	}
}

test('the ASCII output stream converts what Ink writes and is the terminal for everything else', t => {
	const terminal = new FakeTerminal();
	const output = asciiOutput(terminal as unknown as NodeJS.WriteStream);
	let called = false;
	output.write('\u001B[1m┏━ Status ━┓\u001B[22m');
	output.write(Buffer.from('│ Zürich │', 'utf8'), 'buffer' as BufferEncoding, () => {
		called = true;
	});
	t.deepEqual(terminal.written, ['\u001B[1m#= Status =#\u001B[22m', '| Z?rich |']);
	t.true(called, 'the write callback is kept');
	t.is(output.columns, 80);
	t.is(output.rows, 24);
	t.true(output.isTTY);
	t.is((output as unknown as {fd: number}).fd, 99);
	let resized = false;
	output.on('resize', () => {
		resized = true;
	});
	terminal.columns = 100;
	terminal.emit('resize');
	t.true(resized);
	t.is(output.columns, 100);
});
