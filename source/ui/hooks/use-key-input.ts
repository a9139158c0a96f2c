import {useContext, useLayoutEffect, useRef} from 'react';
import type {Key} from 'ink';
import {KeyDispatchContext, type KeyDispatcher} from '../contexts/key-dispatch-context.ts';

/** The app's key dispatcher. Every component that takes keys is under one (see KeyDispatchProvider.tsx). */
export function useKeyDispatcher(): KeyDispatcher {
	const dispatcher = useContext(KeyDispatchContext);
	if (dispatcher === undefined) throw new Error('A component that takes keys is rendered outside KeyDispatchProvider.');
	return dispatcher;
}

/**
 * Ink's useInput, made safe for a UI whose focus moves with every key: the handler and its active flag are read from
 * refs set during render, and the listener is registered with the app's key dispatcher in a layout effect, so a
 * component hears keys from its first frame on and stops the moment it re-renders inactive. The dispatcher hands
 * out one key at a time (runs read in one go split back into single keys, see split-keys.ts), each after the
 * commit of the one before.
 */
export function useKeyInput(handler: (input: string, key: Key) => void, options: {isActive?: boolean} = {}): void {
	const dispatcher = useKeyDispatcher();
	// Written during render on purpose: the dispatcher hands out the next key once this render has committed, and
	// that key must see the state of the frame on screen, not wait for a passive effect.
	const handlerRef = useRef(handler);
	handlerRef.current = handler;
	const activeRef = useRef(options.isActive ?? true);
	activeRef.current = options.isActive ?? true;
	useLayoutEffect(() => dispatcher.add({active: activeRef, handler: handlerRef}), [dispatcher]);
}
