import {Text} from './Text.tsx';
import {keyLabelInWords} from '../charset.ts';
import {useCharset} from '../contexts/charset-context.ts';
import {hintsFor, type Scope} from '../key/bindings.ts';
import {theme} from '../theme.ts';

export type KeyHintsProps = {
	scope: Exclude<Scope, 'global'>;
	/** The page shown: inside it, its own keys are hinted first. */
	page?: string;
	width: number;
	/** Replaces the hints, e.g. "Stopping…" while the exit clean-ups run. */
	status?: string;
};

/** The bottom line: the keys that work where the focus is, read from the bindings table. */
export default function KeyHints({scope, page, width, status}: KeyHintsProps) {
	if (status !== undefined) {
		return (
			<Text wrap="truncate-end" {...theme.text('warning')}>
				{status.slice(0, width)}
			</Text>
		);
	}

	// Arrows as words where they would be drawn as ^ and v (ASCII); a screen reader always hears the words.
	const ascii = useCharset() === 'ascii';
	const hints = hintsFor(scope, page).map(hint => ({...hint, keys: ascii ? keyLabelInWords(hint.keys) : hint.keys}));
	// Drop whole hints from the end rather than cutting one in half: a half hint reads as a different key.
	const shown: typeof hints = [];
	let used = 0;
	for (const hint of hints) {
		const cost = (shown.length === 0 ? 0 : 2) + hint.keys.length + 1 + hint.text.length;
		if (used + cost > width) break;
		shown.push(hint);
		used += cost;
	}

	const reading = `Keys: ${shown.map(hint => `${keyLabelInWords(hint.keys)} ${hint.text}`).join(', ')}`;
	return (
		<Text wrap="truncate-end" aria-label={reading}>
			{shown.map((hint, index) => (
				<Text key={`${hint.keys} ${hint.text}`}>
					{index === 0 ? '' : '  '}
					<Text {...theme.text('accent')}>{hint.keys}</Text>
					<Text {...theme.text('muted')}> {hint.text}</Text>
				</Text>
			))}
		</Text>
	);
}
