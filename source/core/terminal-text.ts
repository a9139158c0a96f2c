// Text that rscm did not write itself — instance, machine and data source names from the catalog, audit details,
// locations, file contents, what a user typed — must never reach a terminal with its control characters: an ESC
// sequence can set the clipboard (OSC 52), hide or recolour text (CSI … m), move the cursor to overwrite a line, and a
// bidi override can make a name read differently from what it is. This is a pure string function, so it lives in the
// core next to the validation that refuses such names at input; the commands and the UI apply it where they print.
//
// Each dangerous character is replaced with a visible stand-in, so the admin sees that something odd is there:
// - C0 controls U+0000–U+001F become the Unicode "control pictures" U+2400–U+241F (ESC → ␛, BEL → ␇, LF → ␊, TAB → ␉),
// - DEL U+007F becomes ␡ (U+2421),
// - C1 controls U+0080–U+009F and the bidi embeddings, overrides and isolates U+202A–U+202E, U+2066–U+2069 become
//   `<U+XXXX>`, since they have no picture of their own.
// Ordinary Unicode (é, 日本, emoji) is left as it is. The replacements are printable, so applying it twice is harmless.

export type DisplayTextOptions = {
	/** Keep line feeds and tabs, for text that is several lines on purpose (tables, messages). Default: replace them. */
	keepLineBreaks?: boolean;
};

// eslint-disable-next-line no-control-regex -- matching control characters is the point
const controlCharacters = /[\u0000-\u001F\u007F-\u009F\u202A-\u202E\u2066-\u2069]/g;
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const controlCharactersExceptLineBreaks = /[\u0000-\u0008\u000B-\u001F\u007F-\u009F\u202A-\u202E\u2066-\u2069]/g;

function visible(character: string): string {
	const code = character.codePointAt(0)!;
	if (code < 0x20) return String.fromCodePoint(0x2400 + code);
	if (code === 0x7F) return '\u2421';
	return `<U+${code.toString(16).toUpperCase().padStart(4, '0')}>`;
}

/** `text` with every control character (and bidi override) replaced by a visible stand-in; safe to print. */
export function displayText(text: string, options: DisplayTextOptions = {}): string {
	return text.replace(options.keepLineBreaks ? controlCharactersExceptLineBreaks : controlCharacters, visible);
}

/** Whether `text` holds a character displayText would replace (line feeds and tabs included): for input validation. */
export function hasControlCharacters(text: string): boolean {
	return text.search(controlCharacters) !== -1;
}
