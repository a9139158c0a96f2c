import {useCallback, useContext, useRef, useState} from 'react';
import {type Key} from 'ink';
import {LayerContext} from '../contexts/modal-context.ts';
import {matchesBinding} from '../key/bindings.ts';
import {useIsTopLayer} from './use-modal-layer.ts';
import {useKeyInput} from './use-key-input.ts';

export type FocusRingOptions = {
	/** The focusable items in screen order. Leave out hidden or disabled ones; the ring skips nothing itself. */
	ids: readonly string[];
	/** Whether the ring listens at all (a page passes its `focused` prop). The modal layer is checked here too. */
	isActive: boolean;
	initialId?: string;
	/**
	 * Enter on the focused item. Button, Checkbox, RadioGroup and TextField handle their own keys; use these only
	 * for items the caller draws itself, or the key is handled twice.
	 */
	onPress?: (id: string) => void;
	onToggle?: (id: string) => void;
};

/** What a component does with the keys while it has the ring's focus. */
export type FocusableHandlers = {
	/** Enter. */
	press?: () => void;
	/** Space. */
	toggle?: () => void;
	/** Every key but the ring's own (Tab, Shift+Tab, ↑, ↓): a text field takes them all, Enter and Space included. */
	input?: (input: string, key: Key) => void;
};

export type FocusRing = {
	/** The focused item, whether or not the ring is active. */
	focusedId: string | undefined;
	/** Whether the ring's keys are live (active and on the top layer). */
	active: boolean;
	/** True for the focused item while the ring is live: pass it as each component's `focused` prop. */
	isFocused: (id: string) => boolean;
	focus: (id: string) => void;
	next: () => void;
	previous: () => void;
	/**
	 * Used by Button, Checkbox, RadioGroup and TextField when given `ring` and `id`: the ring dispatches keys to
	 * the item focused *now*, even when several keys arrive in one read before React has re-rendered.
	 */
	register: (id: string, handlers: FocusableHandlers) => () => void;
};

/**
 * Keyboard focus among the fields and buttons of one page or dialog: Tab/↓ forward, Shift+Tab/↑ back, both
 * wrapping round as in a Windows dialog. Which bindings apply (page or dialog) follows the modal layer the hook is
 * called in, so the same form works on a page and inside a Dialog.
 */
export function useFocusRing(options: FocusRingOptions): FocusRing {
	const {ids, isActive, initialId, onPress, onToggle} = options;
	const inDialog = useContext(LayerContext) !== undefined;
	const isTop = useIsTopLayer();
	const active = isActive && isTop;
	const [current, setCurrent] = useState<string | undefined>(initialId);
	// A focused item that disappeared (a field hidden by a checkbox) hands the focus to the first item.
	const focusedId = current !== undefined && ids.includes(current) ? current : ids[0];

	// Key events that arrive together run before React re-subscribes the handler: read the latest focus from a
	// ref, not from this render's closure, so Tab Tab moves twice.
	const latest = useRef({ids, focusedId});
	latest.current = {ids, focusedId};

	const setFocused = useCallback((id: string | undefined) => {
		latest.current = {...latest.current, focusedId: id};
		setCurrent(id);
	}, []);
	const move = useCallback(
		(step: number) => {
			const {ids: order, focusedId: from} = latest.current;
			if (order.length === 0) return;
			const index = from === undefined ? -1 : order.indexOf(from);
			const nextIndex = index === -1 ? 0 : (index + step + order.length) % order.length;
			setFocused(order[nextIndex]);
		},
		[setFocused],
	);
	const next = useCallback(() => move(1), [move]);
	const previous = useCallback(() => move(-1), [move]);
	const focus = useCallback((id: string) => setFocused(id), [setFocused]);
	const registry = useRef(new Map<string, FocusableHandlers>());
	const register = useCallback((id: string, handlers: FocusableHandlers) => {
		registry.current.set(id, handlers);
		return () => {
			if (registry.current.get(id) === handlers) registry.current.delete(id);
		};
	}, []);

	useKeyInput(
		(input, key) => {
			const scope = inDialog ? 'dialog' : 'page';
			if (matchesBinding(`${scope}.next`, input, key)) next();
			else if (matchesBinding(`${scope}.previous`, input, key)) previous();
			else {
				const id = latest.current.focusedId;
				if (id === undefined) return;
				const handlers = registry.current.get(id);
				if (handlers?.input) handlers.input(input, key);
				else if (matchesBinding(`${scope}.press`, input, key)) (handlers?.press ?? (() => onPress?.(id)))();
				else if (matchesBinding(`${scope}.toggle`, input, key)) (handlers?.toggle ?? (() => onToggle?.(id)))();
			}
		},
		{isActive: active},
	);

	const isFocused = useCallback((id: string) => active && id === focusedId, [active, focusedId]);
	return {focusedId, active, isFocused, focus, next, previous, register};
}
