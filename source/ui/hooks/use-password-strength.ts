import {useEffect, useState} from 'react';
import {estimateInThread, type PasswordStrength} from '../../core/password-strength.ts';

/** 'checking' until the first estimate is in, 'unavailable' if there is none (an incomplete installation). */
export type StrengthState = PasswordStrength | 'checking' | 'unavailable';

/**
 * The strength of the password being typed, from zxcvbn-ts in a worker thread: its dictionaries load when the first
 * component using this mounts (the Backup dialog), never before, and neither the load nor an estimate runs on the
 * thread taking the keys. An answer for text that has changed since is dropped; until the new one is in, the
 * previous one stays on screen (no flicker to "checking" on every key).
 */
export function usePasswordStrength(password: string): StrengthState {
	const [strength, setStrength] = useState<StrengthState>('checking');
	useEffect(() => {
		let current = true;
		estimateInThread(password).then(
			answer => {
				if (current) setStrength(answer);
			},
			() => {
				if (current) setStrength('unavailable');
			},
		);
		return () => {
			current = false;
		};
	}, [password]);
	return strength;
}
