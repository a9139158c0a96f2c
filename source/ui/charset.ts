/**
 * What the Configuration Manager draws with: Unicode (box drawing, ›, ✔, —, …) or plain ASCII, for a terminal that
 * cannot show UTF-8: a locale that does not name UTF-8 (LANG=C over SSH), the Linux console, a VT100/VT220 or a
 * dumb terminal. Decided once at start-up (start.tsx); `--ascii` / `--unicode` (or RSCM_ASCII=1 / 0) override.
 */
export type Charset = 'unicode' | 'ascii';

export type CharsetChoice = {
	/** `--ascii`: plain ASCII whatever the locale says. */
	ascii?: boolean;
	/** `--unicode`: Unicode whatever the locale and TERM say. */
	unicode?: boolean;
};

/** Terminals whose character set is ASCII (or whose fonts lack box drawing): TERM=linux, vt100, vt102, vt220, dumb. */
const asciiTerminal = /^(linux|vt\d+|dumb)(-|$)/;

/**
 * The locale's character set as POSIX resolves it: the first non-empty of LC_ALL, LC_CTYPE and LANG. Unset
 * everywhere counts as UTF-8: that is what a terminal that passes no locale (a container, some SSH clients) shows in
 * practice, and what rscm always drew; `--ascii` is there for the rest.
 */
function localeIsUtf8(env: NodeJS.ProcessEnv): boolean {
	const locale = [env['LC_ALL'], env['LC_CTYPE'], env['LANG']].find(value => value !== undefined && value !== '');
	return locale === undefined || /utf-?8/i.test(locale);
}

export function detectCharset(env: NodeJS.ProcessEnv, choice: CharsetChoice = {}): Charset {
	if (choice.ascii === true) return 'ascii';
	if (choice.unicode === true) return 'unicode';
	const forced = env['RSCM_ASCII'];
	if (forced === '1') return 'ascii';
	if (forced === '0') return 'unicode';
	if (asciiTerminal.test(env['TERM'] ?? '')) return 'ascii';
	return localeIsUtf8(env) ? 'unicode' : 'ascii';
}

/**
 * One ASCII character for each non-ASCII character rscm draws itself. One for one, so every width the layout computed
 * (Ink measures before it writes, pages pad with `.length`) still holds. The heavy border of the focused panel
 * becomes `#` and `=`, so the focus stays visible; ✔/✖ become v/x.
 */
const asciiGlyphs: Record<string, string> = {
	'─': '-', '│': '|', '┌': '+', '┐': '+', '└': '+', '┘': '+', '├': '+', '┤': '+', '┬': '+', '┴': '+', '┼': '+',
	'╭': '+', '╮': '+', '╰': '+', '╯': '+',
	'━': '=', '┃': '#', '┏': '#', '┓': '#', '┗': '#', '┛': '#', '═': '=', '║': '#', '╔': '#', '╗': '#', '╚': '#', '╝': '#',
	'›': '>', '‹': '<', '»': '>', '«': '<', '→': '>', '←': '<', '↑': '^', '↓': 'v', '↔': '-',
	'✔': 'v', '✓': 'v', '✖': 'x', '✗': 'x', '×': 'x',
	'—': '-', '–': '-', '‐': '-', '…': '.', '·': '-', '•': '*',
	'‘': "'", '’': "'", '“': '"', '”': '"',
	'█': '#', '▓': '#', '▒': ':', '░': '.',
	'\u00A0': ' ',
};

// Combining marks, zero-width joiners and variation selectors: no column of their own.
const zeroWidth = /^[\p{M}\p{Cf}]$/u;

/**
 * `text` in ASCII: rscm's own symbols by the table above, anything else outside ASCII (a server named "Zürich", a
 * path in Japanese) as `?`, one per character: the admin sees that a character is there that this terminal cannot
 * show, rather than a look-alike that names another file or server.
 */
export function toAscii(text: string): string {
	let result = '';
	// Composed first, so an é typed as e + U+0301 is one character, shown as one `?` like the precomposed é.
	for (const character of text.normalize('NFC')) {
		if (character.charCodeAt(0) < 0x80) result += character;
		else result += asciiGlyphs[character] ?? (zeroWidth.test(character) ? '' : '?');
	}

	return result;
}

// Arrow keys in words for the key hints and the help, where ^ and v would read as Ctrl and a letter.
const arrowWords: Array<[RegExp, string]> = [
	[/↑\s*\/?\s*↓/g, 'Up/Down'],
	[/↑/g, 'Up'],
	[/↓/g, 'Down'],
	[/←/g, 'Left'],
	[/→/g, 'Right'],
];

/** A key label (`↑↓`, `Enter / → / Tab`) with its arrows as words: for ASCII and for a screen reader. */
export function keyLabelInWords(label: string): string {
	let result = label;
	for (const [arrow, word] of arrowWords) result = result.replace(arrow, word);
	return result;
}
