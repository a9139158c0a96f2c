// The terminal width of the text rscm draws, for the bundle's start-up. Ink measures every line it lays out with
// string-width, whose general algorithm is built at load time and on first use: an ICU segmenter and a regular
// expression over every RGI emoji sequence, ~50 ms together on this project's reference machine, before the first
// frame. Our frames are ASCII, Latin letters, punctuation, arrows, box drawing and a few symbols, one column each, so
// the bundle answers those here and leaves string-width, loaded on its first use, for everything else (see
// scripts/build.js, plugin `narrow-text-width`). test/ui/text-width.test.ts checks every character of this set and
// styled text against string-width itself.

/** SGR sequences (colours, bold, inverse, resets): what chalk writes into the lines Ink measures. */
// eslint-disable-next-line no-control-regex -- matching the escape character is the point
const styleSequence = /\u001B\[[\d;]*m/g;

/**
 * Characters that string-width counts as one column with its default options (ambiguous width counted as narrow):
 * printable ASCII, Latin-1 and Latin Extended-A letters and signs (not the soft hyphen, which is invisible),
 * general punctuation (dashes, quotes, bullet, ellipsis, guillemets), arrows, box drawing, block elements, geometric
 * shapes (not the two with emoji presentation, ◽ and ◾) and the check and cross marks.
 */
const oneColumnText = /^[\u0020-\u007E\u00A0-\u00AC\u00AE-\u017F\u2010-\u2027\u2030-\u203B\u203D-\u205E\u2190-\u21FF\u2500-\u25FC\u25FF\u2713-\u2714\u2716-\u2717]*$/;

/**
 * The width of `text` in terminal columns when every character is one column wide (after removing colour and style
 * sequences); undefined when the text holds anything else, which only the general algorithm can measure.
 */
export function oneColumnTextWidth(text: string): number | undefined {
	const visible = text.includes('\u001B') ? text.replaceAll(styleSequence, '') : text;
	return oneColumnText.test(visible) ? visible.length : undefined;
}
