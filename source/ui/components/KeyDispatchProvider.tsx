import type React from 'react';
import {useLayoutEffect, useReducer, useRef} from 'react';
import {useInput, type Key} from 'ink';
import {KeyDispatchContext, type KeyDispatcher, type KeyListener} from '../contexts/key-dispatch-context.ts';
import {TextEntryContext, type TextEntryRegistry} from '../contexts/text-entry-context.ts';
import {matchesBinding} from '../key/bindings.ts';
import {splitKeys} from '../key/split-keys.ts';

// A load that never settles must not freeze the keyboard: a hold lasts three seconds at most (a page's code took at
// most 0.6 s to load while the whole test suite ran). Ctrl+C is never held.
const defaultHoldLimitMs = 3000;

/**
 * The dispatcher's state, outside React: the listeners, the keys waiting their turn and the holds that keep them
 * waiting. One key is delivered at a time, and the next only once React has committed what the key did (`committed`,
 * called by the provider's layout effect after the commit it asked for with `requestCommit`). React 19 renders a key's
 * state updates on a later turn of the event loop, not inside the handler, so the key after it must wait for that
 * commit, or it reaches the screen before (Enter Enter read in one go: the second Enter found the list still focused,
 * and was lost).
 */
class KeyQueue implements KeyDispatcher {
	readonly textEntry: TextEntryRegistry = {active: new Set()};
	private readonly listeners = new Set<KeyListener>();
	private readonly holds = new Set<Promise<unknown>>();
	private readonly waiting: Array<[string, Key]> = [];
	// From the moment a key is delivered until the commit that follows it (and its holds) have passed.
	private busy = false;

	constructor(
		private readonly requestCommit: () => void,
		private readonly holdLimitMs: number,
	) {}

	add(listener: KeyListener): () => void {
		this.listeners.add(listener);
		return () => {
			this.listeners.delete(listener);
		};
	}

	hold(until: Promise<unknown>): void {
		const limit = new Promise(resolve => {
			setTimeout(resolve, this.holdLimitMs).unref();
		});
		const held = Promise.race([until, limit]);
		this.holds.add(held);
		// After the commit that follows, so the component the hold waited for has rendered and listens.
		const release = () => {
			this.holds.delete(held);
			if (this.holds.size === 0 && !this.busy) {
				this.busy = true;
				this.requestCommit();
			}
		};
		held.then(release, release);
	}

	/** The keys Ink read, in order. */
	receive(input: string, key: Key): void {
		for (const [oneInput, oneKey] of splitKeys(input, key)) {
			// Quitting works at once, also while a page is loading.
			if (this.holds.size > 0 && matchesBinding('global.quit', oneInput, oneKey)) this.deliver(oneInput, oneKey);
			else this.waiting.push([oneInput, oneKey]);
		}

		if (!this.busy) this.deliverNext();
	}

	/**
	 * React committed what the last key (or a hold's release) did; the provider's layout effect runs after the
	 * children's of the same commit: listeners registered, a page that started loading has put its hold in place. The
	 * next key goes on a later turn, outside React's commit.
	 */
	committed(): void {
		if (this.busy) {
			setImmediate(() => {
				this.deliverNext();
			});
		}
	}

	private deliver(input: string, key: Key): void {
		// Only the listeners active when the key arrived get it: one that a listener activates on the way (Enter on
		// the list focusing the page) must not handle the same key again.
		const targets = [...this.listeners].filter(listener => listener.active.current);
		for (const listener of targets) {
			if (listener.active.current) listener.handler.current(input, key);
		}
	}

	private deliverNext(): void {
		const next = this.holds.size > 0 ? undefined : this.waiting.shift();
		if (next === undefined) {
			// Idle, or held: the last hold's release resumes.
			this.busy = false;
			return;
		}

		this.busy = true;
		const [input, key] = next;
		// A run of characters read in one go (a paste, or keys typed while a frame was being drawn) is one insertion
		// for a text field, but separate keys for everything else: "10" on the list is 1 then 0, not an unknown key.
		// Decided as each key comes up, so the rest of "6\rsmtp" goes whole to the field that Enter focused.
		const characters = [...input];
		if (characters.length > 1 && this.textEntry.active.size === 0) {
			this.waiting.unshift([characters.slice(1).join(''), key]);
			this.deliver(characters[0]!, key);
		} else {
			this.deliver(input, key);
		}

		// Even when the key changed nothing: its commit is the one the next key waits for.
		this.requestCommit();
	}
}

/**
 * Provides the app-wide key dispatcher (see key-dispatch-context.ts) and the registry of text fields taking typed
 * characters (text-entry-context.ts), which decides how a run of characters read in one go is delivered. Every
 * component that takes keys is under it: the app renders one, and component tests render through
 * test/helpers/render-ui.tsx.
 */
export default function KeyDispatchProvider({children, holdLimitMs = defaultHoldLimitMs}: {children?: React.ReactNode; holdLimitMs?: number}) {
	const [commits, countCommit] = useReducer((count: number) => count + 1, 0);
	const queue = useRef<KeyQueue | null>(null);
	queue.current ??= new KeyQueue(countCommit, holdLimitMs);
	const keys = queue.current;
	useLayoutEffect(() => {
		keys.committed();
	}, [keys, commits]);
	useInput((input, key) => {
		keys.receive(input, key);
	});
	return (
		<KeyDispatchContext.Provider value={keys}>
			<TextEntryContext.Provider value={keys.textEntry}>{children}</TextEntryContext.Provider>
		</KeyDispatchContext.Provider>
	);
}
