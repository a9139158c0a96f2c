import {useLayoutEffect, useRef} from 'react';
import type {FocusableHandlers, FocusRing} from './use-focus-ring.ts';

export type FocusableOptions = {
	/** The ring the item belongs to; without one the component is driven by `focused` alone. */
	ring?: FocusRing;
	id?: string;
	focused?: boolean;
	handlers: FocusableHandlers;
	disabled?: boolean;
};

/**
 * Connects a component to its focus ring: registers its key handlers under its id (always the latest ones, through
 * a ref) and says whether it has the focus. Returns `standalone: true` when there is no ring, so the component
 * listens to keys itself.
 */
export function useFocusable({ring, id, focused, handlers, disabled = false}: FocusableOptions): {
	focused: boolean;
	standalone: boolean;
} {
	const latest = useRef(handlers);
	latest.current = handlers;
	const register = ring?.register;
	// A layout effect: the item is reachable by the ring from its first frame, before the next key.
	useLayoutEffect(() => {
		if (register === undefined || id === undefined || disabled) return;
		return register(id, {
			press: latest.current.press && (() => latest.current.press?.()),
			toggle: latest.current.toggle && (() => latest.current.toggle?.()),
			input: latest.current.input && ((input, key) => latest.current.input?.(input, key)),
		});
	}, [register, id, disabled]);
	if (ring !== undefined && id !== undefined) return {focused: ring.isFocused(id), standalone: false};
	return {focused: focused ?? false, standalone: true};
}
