import {Text} from './Text.tsx';
import type {SecretState} from '../../core/secret-values.ts';
import {theme} from '../theme.ts';

/**
 * What the page may say about a saved password: whether there is one, never what it is. "Needs re-entry" follows
 * a Delete Encrypted Content, which erases the value but keeps the setting.
 */
export default function SavedPasswordNote({state, indent}: {state: SecretState | undefined; indent: number}) {
	if (state === undefined || state === 'unset') return null;
	return (
		<Text wrap="truncate-end">
			{' '.repeat(indent)}
			{state === 'set' ? (
				<Text {...theme.text('muted')}>Saved password: set (leave empty to keep)</Text>
			) : (
				<Text {...theme.text('warning')}>Saved password: needs re-entry</Text>
			)}
		</Text>
	);
}
