import {createContext} from 'react';

/**
 * Which text fields currently have the focus. While one does, typed characters belong to it: the shell must not
 * read `?` as help or `←` as "back to the list". A mutable set (not state) because the shell only reads it inside
 * its key handler and a re-render on every focus move would be wasted work.
 */
export type TextEntryRegistry = {
	readonly active: Set<string>;
};

export const TextEntryContext = createContext<TextEntryRegistry | undefined>(undefined);
