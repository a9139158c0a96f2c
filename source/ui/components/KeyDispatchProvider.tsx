import type React from 'react';
import {useState} from 'react';
import {useInput, type Key} from 'ink';
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
	const [queue] = useState<Array<[string, Key]>>(() => []);
	const deliver = (input: string, key: Key) => {
		// Only the listeners active when the key arrived get it: one that a listener activates on the way (Enter on
		// the list focusing the page) must not handle the same key again.
		const targets = [...listeners].filter(listener => listener.active.current);
		for (const listener of targets) {
			if (listener.active.current) listener.handler.current(input, key);
		}
	};

	const drain = () => {
		const next = queue.shift();
		if (next === undefined) return;
		deliver(...next);
		// One key per turn of the event loop, so React renders between them and each key sees the state the
		// previous one produced (the text typed before the Enter that presses OK).
		if (queue.length > 0) setImmediate(drain);
	};

	useInput((input, key) => {
		const wasIdle = queue.length === 0;
		queue.push(...splitKeys(input, key));
		if (wasIdle) drain();
	});
	return <KeyDispatchContext.Provider value={dispatcher}>{children}</KeyDispatchContext.Provider>;
}
