import {Box} from 'ink';
import {Text} from './Text.tsx';
import type {SecretState} from '../../core/secret-values.ts';
import {theme} from '../theme.ts';

/**
 * What the page may say about a saved password: whether there is one, never what it is. "Needs re-entry" follows
 * a Delete Encrypted Content, which erases the value but keeps the setting.
 */
export default function SavedPasswordNote({state, indent}: {state: SecretState | undefined; indent: number}) {
	if (state === undefined || state === 'unset') return null;
	// Under the field, wrapped rather than cut: "leave empty to keep" is the half that matters.
	return (
		<Box marginLeft={indent}>
			{state === 'set' ? (
				<Text wrap="wrap" {...theme.text('muted')}>
					Password saved; leave empty to keep it.
				</Text>
			) : (
				<Text wrap="wrap" {...theme.text('warning')}>
					Saved password: needs re-entry
				</Text>
			)}
		</Box>
	);
}
