import {createContext} from 'react';

/**
 * The stack of open modal layers (dialogs, the help overlay). Only the top layer receives keys: the page under a
 * dialog, and the shell's own list/page keys, stay quiet until it closes. Without a provider (a component rendered
 * alone in a test) every layer counts as the top one.
 */
export type ModalStack = {
	readonly layers: readonly string[];
	open: (id: string) => void;
	close: (id: string) => void;
};

export const ModalContext = createContext<ModalStack | undefined>(undefined);

/** The modal layer a component is rendered in; undefined for the base layer (the shell and the pages). */
export const LayerContext = createContext<string | undefined>(undefined);
