import {useContext, useLayoutEffect, useRef} from 'react';
import {useInput, type Key} from 'ink';
import {KeyDispatchContext} from '../contexts/key-dispatch-context.ts';
import {splitKeys} from '../key/split-keys.ts';

/**
 * Ink's useInput, made safe for a UI whose focus moves with every key:
 * - inside the app (KeyDispatchProvider) the handler and its active flag are read from refs set during render,
 *   and the listener is registered in a layout effect, so a component hears keys from its first frame on and
 *   stops the moment it re-renders inactive;
 * - runs of keys that arrived in one read are split back into single keys (see split-keys.ts).
 * Rendered alone (a component test), it falls back to Ink's own useInput.
 */
export function useKeyInput(handler: (input: string, key: Key) => void, options: {isActive?: boolean} = {}): void {
	const isActive = options.isActive ?? true;
	const dispatcher = useContext(KeyDispatchContext);
	// Written during render on purpose: the dispatcher hands out the next key once this render has committed, and
	// that key must see the state of the frame on screen, not wait for a passive effect.
	const handlerRef = useRef(handler);
	handlerRef.current = handler;
	const activeRef = useRef(isActive);
	activeRef.current = isActive;
	useLayoutEffect(() => {
		if (dispatcher === undefined) return;
		return dispatcher.add({active: activeRef, handler: handlerRef});
	}, [dispatcher]);
	useInput(
		(input, key) => {
			for (const [oneInput, oneKey] of splitKeys(input, key)) handlerRef.current(oneInput, oneKey);
		},
		{isActive: dispatcher === undefined && isActive},
	);
}
