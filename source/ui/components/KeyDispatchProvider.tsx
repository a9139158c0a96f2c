import type React from 'react';
import {useLayoutEffect, useReducer, useState} from 'react';
import {useInput, type Key} from 'ink';
import {KeyDispatchContext, type KeyDispatcher, type KeyListener} from '../contexts/key-dispatch-context.ts';
import {TextEntryContext, type TextEntryRegistry} from '../contexts/text-entry-context.ts';
import {matchesBinding} from '../key/bindings.ts';
import {splitKeys} from '../key/split-keys.ts';

/**
 * Provides the app-wide key dispatcher (see key-dispatch-context.ts) and the registry of text fields taking typed
 * characters (text-entry-context.ts), which decides how a run of characters read in one go is delivered.
 * `holdLimitMs` is how long a hold keeps the keys at most (3 s; tests set it small rather than wait).
 */
export default function KeyDispatchProvider({children, holdLimitMs = 3000}: {children?: React.ReactNode; holdLimitMs?: number}) {
	const [listeners] = useState(() => new Set<KeyListener>());
	const [holds] = useState(() => new Set<Promise<unknown>>());
	const [queue] = useState<Array<[string, Key]>>(() => []);
	// Busy from the moment a key is delivered until React has committed what it did: keys that arrive meanwhile
	// wait in the queue. React 19 renders a key's state updates on a later turn of the event loop, not inside the
	// handler, so the key after it must wait for that commit, or it reaches the screen before (Enter Enter read in
	// one go: the second Enter found the list still focused, and was lost).
	const [turn] = useState({busy: false});
	// Bumped with every delivered key (and at a hold's release): its commit is the one the next key waits for, even
	// when the key itself changed nothing.
	const [commits, countCommit] = useReducer((count: number) => count + 1, 0);
	const [dispatcher] = useState<KeyDispatcher>(() => ({
		add(listener) {
			listeners.add(listener);
			return () => {
				listeners.delete(listener);
			};
		},
		hold(until) {
			// A load that never settles must not freeze the keyboard: a hold lasts three seconds at most (a page's
			// code took at most 0.6 s to load while the whole test suite ran). Ctrl+C is never held, see below.
			const limit = new Promise(resolve => {
				setTimeout(resolve, holdLimitMs).unref();
			});
			const held = Promise.race([until, limit]);
			holds.add(held);
			// After the commit that follows, so the component the hold waited for has rendered and listens.
			const release = () => {
				holds.delete(held);
				if (holds.size === 0 && !turn.busy) {
					turn.busy = true;
					countCommit();
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

	function deliverNext() {
		const next = holds.size > 0 ? undefined : queue.shift();
		if (next === undefined) {
			// Idle, or held: the last hold's release resumes.
			turn.busy = false;
			return;
		}

		turn.busy = true;
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

		countCommit();
	}

	// Runs after the children's layout effects of the same commit: listeners registered, a page that started
	// loading has put its hold in place. The next key goes on a later turn, outside React's commit.
	useLayoutEffect(() => {
		if (turn.busy) setImmediate(deliverNext);
	}, [commits]);

	useInput((input, key) => {
		for (const [oneInput, oneKey] of splitKeys(input, key)) {
			// Quitting works at once, also while a page is loading.
			if (holds.size > 0 && matchesBinding('global.quit', oneInput, oneKey)) deliver(oneInput, oneKey);
			else queue.push([oneInput, oneKey]);
		}

		if (!turn.busy) deliverNext();
	});
	return (
		<KeyDispatchContext.Provider value={dispatcher}>
			<TextEntryContext.Provider value={textEntry}>{children}</TextEntryContext.Provider>
		</KeyDispatchContext.Provider>
	);
}
