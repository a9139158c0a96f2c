import type React from 'react';
import {useState} from 'react';
import {useInput, type Key} from 'ink';
import {KeyDispatchContext, type KeyDispatcher, type KeyListener} from '../contexts/key-dispatch-context.ts';
import {TextEntryContext, type TextEntryRegistry} from '../contexts/text-entry-context.ts';
import {splitKeys} from '../key/split-keys.ts';

/**
 * Provides the app-wide key dispatcher (see key-dispatch-context.ts) and the registry of text fields taking typed
 * characters (text-entry-context.ts), which decides how a run of characters read in one go is delivered.
 */
const holdLimitMs = 1000;

export default function KeyDispatchProvider({children}: {children?: React.ReactNode}) {
	const [listeners] = useState(() => new Set<KeyListener>());
	const [holds] = useState(() => new Set<Promise<unknown>>());
	const [queue] = useState<Array<[string, Key]>>(() => []);
	// Whether a drain is already due on a later turn: keys are delivered by one chain of drains, never two.
	const [turn] = useState({scheduled: false});
	const [dispatcher] = useState<KeyDispatcher>(() => ({
		add(listener) {
			listeners.add(listener);
			return () => {
				listeners.delete(listener);
			};
		},
		hold(until) {
			// A load that never settles must not freeze the keyboard, Ctrl+C included: a hold lasts a second at most.
			const limit = new Promise(resolve => {
				setTimeout(resolve, holdLimitMs).unref();
			});
			const held = Promise.race([until, limit]);
			holds.add(held);
			// On a later turn, so the component the hold waited for has rendered and listens before the next key.
			const release = () => {
				holds.delete(held);
				if (holds.size === 0 && !turn.scheduled) {
					turn.scheduled = true;
					setImmediate(drain);
				}
			};
			held.then(release, release);
		},
	}));
	const [textEntry] = useState<TextEntryRegistry>(() => ({active: new Set()}));
	const deliver = (input: string, key: Key) => {
		// Only the listeners active when the key arrived get it: one that a listener activates on the way (Enter on
		// the list focusing the page) must not handle the same key again.
		const targets = [...listeners].filter(listener => listener.active.current);
		for (const listener of targets) {
			if (listener.active.current) listener.handler.current(input, key);
		}
	};

	function drain() {
		turn.scheduled = false;
		if (holds.size > 0) return; // resumed by the last hold's release
		const next = queue.shift();
		if (next === undefined) return;
		const [input, key] = next;
		// A run of characters read in one go (a paste, or keys typed while a frame was being drawn) is one insertion
		// for a text field, but separate keys for everything else: "10" on the list is 1 then 0, not an unknown key.
		// Decided as each key comes up, so the rest of "6\rsmtp" goes whole to the field that Enter focused.
		const characters = [...input];
		if (characters.length > 1 && textEntry.active.size === 0) {
			queue.unshift([characters.slice(1).join(''), key]);
			deliver(characters[0]!, key);
		} else {
			deliver(input, key);
		}

		// One key per turn of the event loop, so React renders between them and each key sees the state the
		// previous one produced (the text typed before the Enter that presses OK).
		if (queue.length > 0) {
			turn.scheduled = true;
			setImmediate(drain);
		}
	}

	useInput((input, key) => {
		const wasIdle = queue.length === 0 && !turn.scheduled;
		queue.push(...splitKeys(input, key));
		if (wasIdle) drain();
	});
	return (
		<KeyDispatchContext.Provider value={dispatcher}>
			<TextEntryContext.Provider value={textEntry}>{children}</TextEntryContext.Provider>
		</KeyDispatchContext.Provider>
	);
}
