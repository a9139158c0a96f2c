import {useContext, useId, useLayoutEffect} from 'react';
import {LayerContext, ModalContext} from '../contexts/modal-context.ts';

/** True when the component's layer is the top one, so its keys are live. */
export function useIsTopLayer(): boolean {
	const layer = useContext(LayerContext);
	const stack = useContext(ModalContext);
	if (stack === undefined) return true;
	return stack.layers.at(-1) === layer;
}

/** True while any modal layer is open. */
export function useIsModalOpen(): boolean {
	const stack = useContext(ModalContext);
	return stack !== undefined && stack.layers.length > 0;
}

/**
 * Opens a modal layer for as long as the calling component is mounted. Returns the layer id to provide through
 * LayerContext, so the components inside the dialog know they are on top.
 */
export function useModalLayer(): {id: string; isTop: boolean} {
	const id = useId();
	const stack = useContext(ModalContext);
	const open = stack?.open;
	const close = stack?.close;
	// A layout effect: the layer is on the stack before the next key can arrive, so the page under a dialog that
	// just opened never receives it.
	useLayoutEffect(() => {
		open?.(id);
		return () => close?.(id);
	}, [id, open, close]);
	const isTop = stack === undefined || stack.layers.at(-1) === id;
	return {id, isTop};
}
