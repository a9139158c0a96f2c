import {Box} from 'ink';
import {Text} from './Text.tsx';
import {theme} from '../theme.ts';

export type ChecklistItem = {
	/** Stable key, e.g. the password rule id. */
	id: string;
	label: string;
	ok: boolean;
};

export type ChecklistProps = {
	items: readonly ChecklistItem[];
};

/**
 * A list of conditions with ✔ met / ✖ not met, re-rendered on every keystroke: the live password-policy checklist
 * of the Backup dialog. The symbol carries the meaning, so it reads the same without colour.
 */
export default function Checklist({items}: ChecklistProps) {
	return (
		<Box flexDirection="column">
			{items.map(item => (
				<Text key={item.id} wrap="truncate-end" aria-label={`(${item.ok ? 'met' : 'not met'}) ${item.label}`}>
					<Text {...theme.text(item.ok ? 'success' : 'error')}>{item.ok ? '✔' : '✖'}</Text> {item.label}
				</Text>
			))}
		</Box>
	);
}
