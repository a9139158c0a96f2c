import {Text} from './Text.tsx';
import {hintsFor, type Scope} from '../key/bindings.ts';
import {theme} from '../theme.ts';

export type KeyHintsProps = {
	scope: Exclude<Scope, 'global'>;
	width: number;
	/** Replaces the hints, e.g. "Stopping…" while the exit clean-ups run. */
	status?: string;
};

/** The bottom line: the keys that work where the focus is, read from the bindings table. */
export default function KeyHints({scope, width, status}: KeyHintsProps) {
	if (status !== undefined) {
		return (
			<Text wrap="truncate-end" {...theme.text('warning')}>
				{status.slice(0, width)}
			</Text>
		);
	}

	const hints = hintsFor(scope);
	// Drop whole hints from the end rather than cutting one in half: a half hint reads as a different key.
	const shown: typeof hints = [];
	let used = 0;
	for (const hint of hints) {
		const cost = (shown.length === 0 ? 0 : 2) + hint.keys.length + 1 + hint.text.length;
		if (used + cost > width) break;
		shown.push(hint);
		used += cost;
	}

	return (
		<Text wrap="truncate-end">
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
