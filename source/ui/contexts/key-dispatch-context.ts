import {createContext, type RefObject} from 'react';
import type {Key} from 'ink';

export type KeyListener = {
	readonly active: RefObject<boolean>;
	readonly handler: RefObject<(input: string, key: Key) => void>;
};

/**
 * One Ink input subscription for the whole app, dispatching each key to the listeners that were active when it
 * arrived. Ink alone gives every useInput hook its own subscription, re-created in passive effects: a dialog that
 * just opened is deaf for a moment and the page under it still hears keys, and a key can reach a component that
 * became active while the same key was being handled (Enter on the list also pressing the page's first button).
 */
export type KeyDispatcher = {
	add: (listener: KeyListener) => () => void;
	/**
	 * Keeps the keys that arrive from now on queued until `until` settles: a page whose code is still loading has
	 * no listeners yet, and the keys typed ahead of it (Enter, then a password) are meant for it; a text field holds
	 * the next key until ink-text-input has taken the one it is editing (see InkTextEntry.tsx). Ctrl+C is not held.
	 */
	hold: (until: Promise<unknown>) => void;
};

export const KeyDispatchContext = createContext<KeyDispatcher | undefined>(undefined);
