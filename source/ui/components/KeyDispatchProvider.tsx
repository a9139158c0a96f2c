import type React from 'react';
import {useState} from 'react';
import {useInput} from 'ink';
import {KeyDispatchContext, type KeyDispatcher, type KeyListener} from '../contexts/key-dispatch-context.ts';
import {splitKeys} from '../key/split-keys.ts';

/** Provides the app-wide key dispatcher (see key-dispatch-context.ts). */
export default function KeyDispatchProvider({children}: {children?: React.ReactNode}) {
	const [listeners] = useState(() => new Set<KeyListener>());
	const [dispatcher] = useState<KeyDispatcher>(() => ({
		add(listener) {
			listeners.add(listener);
			return () => {
				listeners.delete(listener);
			};
		},
	}));
	useInput((input, key) => {
		// Ink batches this whole call: state set by one listener re-renders after all of them ran, so every
		// listener sees the focus as it was when the key arrived.
		const current = [...listeners];
		for (const [oneInput, oneKey] of splitKeys(input, key)) {
			for (const listener of current) {
				if (listener.active.current) listener.handler.current(oneInput, oneKey);
			}
		}
	});
	return <KeyDispatchContext.Provider value={dispatcher}>{children}</KeyDispatchContext.Provider>;
}
